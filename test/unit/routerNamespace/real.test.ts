import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseNamespace, planConverge, planCreate, planDelete, showNamespace, toInputs } from "../../../provider/routerNamespace/planner";
import { routerNamespaceSchema } from "../../../provider/routerNamespace/schema";
import { Argv, shellJoin } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";

// The plans and showNamespace run for real inside a private network and mount namespace (unshare,
// a tmpfs on /run/netns), with a stub ovs-vsctl first on PATH answering for one port's owner.

const spec = routerNamespaceSchema.parse({ connection: { host: "h" }, owner: "dvrlab:p/s", name: "qrouter-r1" });

describe("RouterNamespace plans in a private network namespace", () => {
    let bin: string;
    beforeEach(() => {
        bin = mkdtempSync(join(tmpdir(), "dvrlab-rns-"));
        // ovs-vsctl --timeout=10 --if-exists get Port <d> external_ids:dvrlab-owner
        writeFileSync(
            join(bin, "ovs-vsctl"),
            '#!/bin/sh\n[ "$*" = "--timeout=10 --if-exists get Port qr-a external_ids:dvrlab-owner" ] && { echo \'"dvrlab:p/s"\'; exit 0; }\n[ "$5" = qr-b ] && exit 0\nexit 1\n',
            { mode: 0o755 },
        );
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    const inNet = (steps: (string | Argv)[]) => inPrivateNet(steps, { binDir: bin });
    const script = (cmds: Argv[]) => cmds.map(shellJoin).join(" && ");

    it("created, it reads back as its inputs with its devices and their OVS owners; deleted, it is gone", () => {
        const [missing, , , shown, , gone] = inNet([
            showNamespace("qrouter-r1"),
            script(planCreate(spec)),
            // an OVS-style port of ours, one of OVS's without our owner, a device OVS does not know
            "ip -n qrouter-r1 link add qr-a type veth peer name qr-b && ip -n qrouter-r1 link add sg-x type veth peer name sg-y",
            showNamespace("qrouter-r1"),
            script(planDelete("qrouter-r1", [])),
            showNamespace("qrouter-r1"),
        ]);
        assert.equal(missing, "@@ns\nno\n");
        assert.equal(parseNamespace(missing), undefined);
        const st = parseNamespace(shown)!;
        assert.deepEqual(st, {
            owner: "dvrlab:p/s",
            sysctls: { ipForward: 1, arpIgnore: 1, arpAnnounce: 2 },
            devices: [
                { name: "qr-b", owner: "" },
                { name: "qr-a", owner: "dvrlab:p/s" },
                { name: "sg-y", owner: "" },
                { name: "sg-x", owner: "" },
            ],
        });
        assert.deepEqual(toInputs(st, spec), spec);
        assert.deepEqual(planConverge(st, spec), []);
        assert.equal(gone, "@@ns\nno\n");
    });

    it("drift in sysctls and the owner mark is converged", () => {
        const custom = routerNamespaceSchema.parse({ ...spec, ipForward: false, arpIgnore: 2, arpAnnounce: 0 });
        const [, , before] = inNet([
            script(planCreate(spec)),
            "ip -n qrouter-r1 link set dev lo alias someone-else && ip netns exec qrouter-r1 sysctl -q -w net.ipv4.conf.all.arp_ignore=0",
            showNamespace("qrouter-r1"),
        ]);
        const st = parseNamespace(before)!;
        assert.deepEqual(st, { owner: "someone-else", sysctls: { ipForward: 1, arpIgnore: 0, arpAnnounce: 2 }, devices: [] });
        assert.deepEqual(toInputs(st, spec), { ...spec, owner: "someone-else", arpIgnore: 0 });
        const fix = planConverge(st, custom);
        assert.deepEqual(fix, [
            ["ip", "-n", "qrouter-r1", "link", "set", "dev", "lo", "alias", "dvrlab:p/s"],
            [
                "ip",
                "netns",
                "exec",
                "qrouter-r1",
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=0",
                "net.ipv4.conf.all.arp_ignore=2",
                "net.ipv4.conf.all.arp_announce=0",
            ],
        ]);
        const [, , , after] = inNet([
            script(planCreate(spec)),
            "ip -n qrouter-r1 link set dev lo alias someone-else",
            script(fix),
            showNamespace("qrouter-r1"),
        ]);
        assert.deepEqual(parseNamespace(after), { owner: "dvrlab:p/s", sysctls: { ipForward: 0, arpIgnore: 2, arpAnnounce: 0 }, devices: [] });
    });
});
