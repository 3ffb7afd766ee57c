// Fault: the network host (DHCP agent + a VM) "reboots" under a deployed stack. Everything a reboot
// loses goes: its guests (qemu) and dnsmasq die, its network namespaces, Linux bridges, veths and
// iptables rules vanish, OVS comes back without br-int/br-tun (a fresh conf.db), every daemon
// restarts (lab.sh up). What is on disk stays: libvirt's domain definitions, the guest images,
// dnsmasq's host files. `refresh` drops exactly the host's lost objects from the state and reports
// the survivors' drift (dnsmasq not running, the domain shut off); `up` rebuilds; verify passes.
import { strict as assert } from "assert";
import { requireLab } from "../helpers/lab";
import { DvrStack, FAULT_ID, FaultLab, smallTopology } from "./faultLab";

describe("fault: a host reboots under a deployed stack", function () {
    this.timeout(900_000);
    const lab = new FaultLab();
    let s: DvrStack | undefined;
    const HOST = "server-233";

    before(function () {
        requireLab(this);
        lab.up();
        s = new DvrStack(lab, "fboot", smallTopology(lab, `f${FAULT_ID}b-`));
    });

    after(function () {
        try {
            s?.cleanup();
        } finally {
            lab.down();
            if (s) console.log(`      numbers: ${JSON.stringify(s.numbers)}`);
        }
    });

    it("up builds the stack", () => {
        assert.equal(lab.leftovers(), "", "the lab starts bare");
        s!.run("cold up", ["up", "--yes", "--skip-preview"]);
    });

    it("after the reboot, refresh drops exactly the host's lost objects and reports the survivors' drift", () => {
        const addr = lab.ip(HOST);
        // the reboot: processes die, kernel state goes, OVS loses its bridges, daemons restart
        for (const comm of ["qemu-system-x86_64", "dnsmasq"]) assert.equal(lab.kill(HOST, comm), 1, `one ${comm} on ${HOST}`);
        lab.sh(
            HOST,
            [
                "set -e",
                "ovs-vsctl del-br br-int -- del-br br-tun",
                'for d in /sys/class/net/qbr-* /sys/class/net/qvb-* /sys/class/net/tap-*; do [ -e "$d" ] && ip link del "${d##*/}"; done',
                "ip -all netns delete",
                "iptables -F; iptables -X",
            ].join("\n"),
        );
        for (const comm of ["ovs-vswitchd", "ovsdb-server", "libvirtd", "virtlogd", "sshd"]) lab.kill(HOST, comm);
        const t0 = Date.now();
        lab.lab("up");
        s!.numbers["host restart (lab.sh up)"] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;

        const before = s!.resources();
        s!.run("refresh", ["refresh", "--yes", "--skip-preview"]);
        const after = s!.resources();
        const onHost = (r: any) => (r.outputs?.connection ?? r.inputs?.connection)?.host === addr;
        const dropped = [...before.keys()].filter((k) => !after.has(k)).sort();
        // everything of the host's that lived in the kernel or in OVS's database, and nothing else
        // HostPreflight is a check, not an object on the host: a reboot leaves nothing of it to lose
        const survivors = /\|.*dvrlab:(HostFile|DhcpServer|DhcpLease|LibvirtDomain|HostPreflight)$/;
        const expected = [...before.entries()]
            .filter(([k, r]) => r.custom && onHost(r) && !survivors.test(k))
            .map(([k]) => k)
            .sort();
        assert.ok(expected.length >= 20, `the host had ${expected.length} kernel/OVS objects`);
        assert.deepEqual(dropped, expected);
        s!.numbers["dropped by refresh"] = `${dropped.length} of ${before.size}`;
        for (const kind of ["OvsBridge", "OvsPort", "FlowEntry", "LinuxBridge", "VethPair", "SecurityGroup"]) {
            assert.ok(
                dropped.some((k) => k.endsWith(`dvrlab:${kind}`)),
                `a ${kind} was dropped`,
            );
        }
        // on disk, so still there, with what the reboot did to them
        const get = (name: string, kind: string) => after.get(`${name}|pulumi-nodejs:dynamic/dvrlab:${kind}`)!.outputs;
        const domain = get("vb", "LibvirtDomain");
        assert.deepEqual([domain.state, domain.running], ["shut off", false]);
        const dhcp = get("dhcp-net1", "DhcpServer");
        assert.equal(dhcp.running, false, "refresh sees dnsmasq is not running");
        assert.equal(dhcp.pid, 0);
        // the other host was not touched
        assert.deepEqual(
            [...before.keys()].filter((k) => !onHost(before.get(k)) && !after.has(k)),
            [],
        );

        // the preview after refresh: the lost objects are created again, the survivors updated, nothing else
        const steps = JSON.parse(s!.stack.run(["preview", "--json"]).stdout).steps as { op: string; urn: string; type?: string }[];
        const changed = steps.filter((st) => st.op !== "same");
        const creates = changed
            .filter((st) => st.op === "create")
            .map((st) => `${st.urn.split("::").pop()}|${st.urn.split("::")[2].split("$").pop()}`)
            .sort();
        assert.deepEqual(creates, expected);
        const updates = changed
            .filter((st) => st.op === "update")
            .map((st) => st.urn.split("::").pop())
            .sort();
        assert.deepEqual(updates, ["dhcp-net1", "vb"]);
        assert.equal(changed.length, creates.length + updates.length, changed.map((c) => `${c.op} ${c.urn}`).join("\n"));
    });

    it("up rebuilds the host: verify passes, then nothing left to change", async () => {
        s!.run("up after the reboot", ["up", "--yes", "--skip-preview"]);
        await s!.verifyAll("verify after rebuild");
        s!.run("no-op preview", ["preview", "--expect-no-changes"]);
    });

    it("destroy leaves zero objects", () => {
        s!.run("destroy", ["destroy", "--yes", "--skip-preview"]);
        assert.equal(lab.leftovers(), "");
    });
});
