import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { dhcpServerSchema } from "../../../provider/dhcpServer/schema";
import { parseServer, planLink, showServer, toInputs } from "../../../provider/dhcpServer/planner";
import { shellJoin } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";
import type { Argv } from "../../../provider/ssh/quote";

// showServer's port sections (netns NS_PORT_SHOW) and planLink run for real in a private network and
// mount namespace (unshare, a tmpfs on /run/netns). The device is a veth standing in for the OVS
// internal port; a stub ovs-vsctl first on PATH prints the Port and Interface rows OVS 3.1 prints.

const seed = dhcpServerSchema.parse({ connection: { host: "172.30.124.233" }, owner: "dvrlab:p/s", network: "net1", tag: 1, address: "192.168.10.2/24" });

describe("DhcpServer port sections on a real device in a private namespace", () => {
    let bin: string;
    beforeEach(() => {
        bin = mkdtempSync(join(tmpdir(), "dvrlab-dhcpns-"));
        writeFileSync(
            join(bin, "ovs-vsctl"),
            [
                "#!/bin/sh",
                '[ "$3" = tapnet1 ] || [ "$6" = "name=\\"tapnet1\\"" ] || exit 1',
                "case $2 in port-to-br) echo br-int;;",
                '  --format=json) case $3 in --columns=tag,external_ids) echo \'{"data":[[1,["map",[["dvrlab-owner","dvrlab:p/s"]]]]],"headings":["tag","external_ids"]}\';;',
                '    *) echo \'{"data":[["internal",7]],"headings":["type","ofport"]}\';; esac;;',
                "esac",
            ].join("\n") + "\n",
            { mode: 0o755 },
        );
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    const inNet = (steps: (string | Argv)[]) => inPrivateNet(steps, { binDir: bin });
    // showServer with a files directory that does not exist: only the namespace and port sections matter here
    const show = () => shellJoin([...showServer(seed).slice(0, 6), "/nonexistent/dvrlab", "/nonexistent/dvrlab/pid"]);
    const device = "ip link add tapnet1 type veth peer name tapnet1-peer && ip link set dev tapnet1 address fa:16:3e:00:00:02";

    it("a port still in the host's namespace: moved in, MTU, address, up and tx off in one plan; then read back in place", () => {
        const [, before] = inNet([`ip netns add qdhcp-net1 && ip -n qdhcp-net1 link set lo up && ${device}`, show()]);
        const st = parseServer(before);
        assert.deepEqual(
            { namespace: st.namespace, inHostNamespace: st.inHostNamespace, link: st.link, port: st.port, tx: st.txChecksum },
            {
                namespace: true,
                inHostNamespace: true,
                link: undefined,
                port: { bridge: "br-int", tag: 1, owner: "dvrlab:p/s", type: "internal", ofport: 7 },
                tx: undefined,
            },
        );
        const plan = planLink(seed, st, false, st.txChecksum);
        assert.equal(plan.rebind, true);
        assert.deepEqual(
            plan.cmds.map((c) => c.join(" ")),
            [
                "ip link set dev tapnet1 netns qdhcp-net1",
                "ip -n qdhcp-net1 link set dev tapnet1 mtu 1450",
                "ip -n qdhcp-net1 addr add 192.168.10.2/24 dev tapnet1",
                "ip -n qdhcp-net1 link set dev tapnet1 up",
                "ip netns exec qdhcp-net1 ethtool -K tapnet1 tx off",
            ],
        );
        const [, , after] = inNet([
            `ip netns add qdhcp-net1 && ip -n qdhcp-net1 link set lo up && ${device}`,
            plan.cmds.map(shellJoin).join(" && ") + " >/dev/null",
            show(),
        ]);
        const moved = parseServer(after);
        assert.deepEqual(
            { inHostNamespace: moved.inHostNamespace, link: moved.link, tx: moved.txChecksum },
            { inHostNamespace: false, link: { up: true, mtu: 1450, mac: "fa:16:3e:00:00:02", addresses: ["192.168.10.2/24"] }, tx: false },
        );
        assert.deepEqual(planLink(seed, moved, false, moved.txChecksum), { cmds: [], rebind: false });
        const inputs = toInputs(moved, seed);
        assert.deepEqual(inputs, { ...seed, running: false, txChecksum: false });
    });

    it("without the namespace: no link, no tx; a second address is readdressing", () => {
        const [none] = inNet([show()]);
        const st = parseServer(none);
        assert.deepEqual([st.namespace, st.inHostNamespace, st.link, st.txChecksum], [false, false, undefined, undefined]);
        assert.equal(toInputs(st, seed).address, "");
        const [, , two] = inNet([
            `ip netns add qdhcp-net1 && ${device} && ip link set dev tapnet1 netns qdhcp-net1`,
            "ip -n qdhcp-net1 addr add 10.9.9.9/8 dev tapnet1 && ip -n qdhcp-net1 addr add 192.168.10.2/24 dev tapnet1",
            show(),
        ]);
        const st2 = parseServer(two);
        assert.deepEqual(st2.link!.addresses, ["10.9.9.9/8", "192.168.10.2/24"]);
        assert.equal(toInputs(st2, seed).address, "192.168.10.2/24", "ours is read when present");
        const plan = planLink(seed, st2, false, st2.txChecksum);
        assert.equal(plan.rebind, true);
        assert.deepEqual(
            plan.cmds.slice(0, 3).map((c) => c.join(" ")),
            [
                "ip -n qdhcp-net1 link set dev tapnet1 mtu 1450",
                "ip -n qdhcp-net1 -4 addr flush dev tapnet1",
                "ip -n qdhcp-net1 addr add 192.168.10.2/24 dev tapnet1",
            ],
        );
    });
});
