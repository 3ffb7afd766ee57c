// HostPreflight against a lab host: a healthy host passes with every check named; a tunnel address
// the host does not have, and a network MTU the underlay cannot carry, fail naming the host, the
// check and the fix, and nothing on the host changes (the probes only read).
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostSh, LAB, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-64"];
// What must not change: every link, address, bridge, flow and rule on the host.
const snapshot = () =>
    hostSh(
        HOST,
        "ip -o link; ip -o addr; ovs-vsctl show; for b in $(ovs-vsctl list-br); do ovs-ofctl dump-flows --no-stats $b; done; iptables-save | grep -v '^#'",
    ).stdout;

describe("HostPreflight on a lab host", function () {
    this.timeout(60_000);
    const p = () => provider("HostPreflight", 1);
    const base = { connection: { host: HOST }, needs: { ovs: true, iptables: true, dnsmasq: true, libvirt: true }, tunnelIp: HOST };

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
    });
    after(() => closeExecutor());

    it("passes on the lab's host and reports every check with what it found", async () => {
        const r = await p().create(base);
        const byCheck = Object.fromEntries(r.outs.findings.map((f: any) => [f.check, f]));
        assert.deepEqual(Object.keys(byCheck).sort(), [
            "bridge netfilter",
            "dnsmasq",
            "iproute2",
            "iptables",
            "iptables physdev",
            "libvirt",
            "libvirt domain types",
            "openvswitch",
            "ovs datapaths",
            "privilege",
            "tunnel address",
            "udp 4789",
            "underlay MTU",
        ]);
        assert.ok(r.outs.findings.every((f: any) => f.ok));
        assert.equal(byCheck.privilege.detail, "root");
        assert.equal(byCheck["tunnel address"].detail, `${HOST} on br-phy`);
        assert.equal(byCheck["underlay MTU"].detail, "br-phy mtu 1500 ≥ 1450 + 50 (VXLAN)");
        assert.match(byCheck["ovs datapaths"].detail, /^netdev/); // this machine's kernel has no openvswitch module
        assert.match(r.outs.versions.openvswitch, /^\d+\.\d+/);
    });

    it("refuses a tunnel address the host does not have and an MTU the underlay cannot carry, changing nothing", async () => {
        const before = snapshot();
        await assert.rejects(p().create({ ...base, tunnelIp: "172.30.124.99" }), (e: any) => {
            assert.match(e.message, new RegExp(`^preflight failed on root@${HOST.replace(/\./g, "\\.")}:22, nothing was changed:`));
            assert.match(e.message, /tunnel address: 172\.30\.124\.99 is not an address of this host; fix: set the host's tunnelIp/);
            return true;
        });
        await assert.rejects(
            p().create({ ...base, mtu: 1460 }),
            /underlay MTU: br-phy mtu 1500 < 1460 \+ 50 \(VXLAN\); fix: raise br-phy's MTU to 1510 or lower the network MTU to 1450/,
        );
        assert.equal(snapshot(), before);
    });
});
