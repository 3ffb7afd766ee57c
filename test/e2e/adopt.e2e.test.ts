// Never harm what is not ours (issue 14), end to end with the real pulumi CLI: a host that already
// has a br-int (lab.sh --existing-br-int: a Neutron/OVN node's, with a foreign port and a foreign
// flow, no dvrlab mark). Without adoption `up` is refused naming the host and the bridge, and no
// host changed.
// A private lab (FaultLab: its own underlay and prefix), the fault tests' small topology.
import { strict as assert } from "assert";
import { requireLab } from "../helpers/lab";
import { DvrStack, FAULT_ID, FaultLab, smallTopology } from "../faults/faultLab";

const HOST = "server-64";

describe("adopting a host's own br-int, end to end with the pulumi CLI", function () {
    this.timeout(900_000);
    const lab = new FaultLab();
    let s: DvrStack | undefined;

    /** What a stack could change on a host, as text: bridges and their ports, flows, ids, links, namespaces, iptables. */
    const hostState = (h: string) =>
        lab.sh(
            h,
            [
                'for b in $(ovs-vsctl list-br); do echo "bridge $b $(ovs-vsctl get Bridge "$b" external_ids fail_mode datapath_type protocols | tr "\\n" " ")";',
                '  ovs-vsctl list-ports "$b" | sed "s/^/  port /"; ovs-ofctl --no-stats --names dump-flows "$b" | sed "s/^/  flow /"; done',
                'ip -o link show | sed -n "s/^[0-9]*: \\([^:@]*\\).*/link \\1/p" | sort',
                'ip netns list | sed "s/^/netns /"',
                'iptables -S | sed "s/^/iptables /"',
                'ls /var/lib/dvrlab 2>/dev/null | sed "s/^/dir /"',
                "true",
            ].join("\n"),
        );
    /** br-int on HOST: its ports, flows and external_ids. */
    const brInt = () => ({
        ports: lab.sh(HOST, "ovs-vsctl list-ports br-int").trim().split("\n").filter(Boolean),
        flows: lab.sh(HOST, "ovs-ofctl --no-stats --names dump-flows br-int").trim(),
        ids: lab.sh(HOST, "ovs-vsctl get Bridge br-int external_ids").trim(),
    });
    const FOREIGN_FLOW = "cookie=0xf00d, priority=2,in_port=foreign0 actions=drop";

    before(function () {
        requireLab(this);
        lab.up([`--existing-br-int=${HOST}`]);
        s = new DvrStack(lab, "adopt", smallTopology(lab, `a${FAULT_ID}-`));
    });

    after(function () {
        try {
            s?.cleanup();
        } finally {
            lab.down();
            if (s) console.log(`      numbers: ${JSON.stringify(s.numbers)}`);
        }
    });

    it("the lab host has a br-int dvrlab did not make: a foreign port and flow, no mark", () => {
        assert.deepEqual(brInt(), { ports: ["foreign0"], flows: FOREIGN_FLOW, ids: "{}" });
    });

    it("up without adoption is refused naming the host and the bridge; no host changed", () => {
        const before = Object.fromEntries(lab.hosts.map((h) => [h, hostState(h)]));
        const r = s!.run("refused up", ["up", "--yes", "--skip-preview"], { allowFail: true });
        assert.notEqual(r.code, 0, "up must fail");
        const out = r.stdout + r.stderr;
        assert.match(out, new RegExp(`preflight failed on root@${lab.ip(HOST).replace(/\./g, "\\.")}:22, nothing was changed:`));
        assert.match(out, /bridge br-int: br-int exists and dvrlab did not create it \(no external_ids:dvrlab-owner\)/);
        assert.match(out, /list it in this host's adopt \(topology hosts\[\]\.adopt: \[br-int\]/);
        for (const h of lab.hosts) assert.equal(hostState(h), before[h], `${h} unchanged`);
        assert.deepEqual(brInt(), { ports: ["foreign0"], flows: FOREIGN_FLOW, ids: "{}" });
    });

    // Not yet: with hosts[].adopt: [br-int] an up works, but dvrlab's patch-tun asks for OpenFlow
    // port 1 (its flows name it by number), which the host's foreign0 holds, so the foreign flow
    // in_port=1 then drops what comes from the tunnel. Adopting needs the patch port's number to
    // follow the bridge (or preflight to refuse a taken one) first: the kind-level test
    // (test/integration/ovsBridge) covers adopt and release of the bridge itself.
});
