import { strict as assert } from "assert";
import { networkOf, securityGroupSchema } from "../../../provider/securityGroup/schema";
import { chainRules, parseRules, parseState, planDelete, restoreScript } from "../../../provider/securityGroup/planner";

const sg = securityGroupSchema.parse({
    connection: { host: "10.0.0.1" },
    owner: "dvrlab:p/s",
    portId: "cirros",
    tap: "tap-cirros",
    ingress: [{ protocol: "icmp" }, { protocol: "tcp", port: 22, remoteCidr: "192.168.10.0/24" }],
});

describe("SecurityGroup planner", () => {
    it("writes both chains and the FORWARD jumps in one iptables-restore transaction", () => {
        assert.equal(
            restoreScript(sg, [false, true]),
            [
                "*filter",
                ":dvrl-i-cirros - [0:0]",
                ":dvrl-o-cirros - [0:0]",
                "-F dvrl-i-cirros",
                "-F dvrl-o-cirros",
                "-A dvrl-i-cirros -m state --state RELATED,ESTABLISHED -j RETURN",
                "-A dvrl-i-cirros -p udp -m udp --sport 67 --dport 68 -j RETURN",
                "-A dvrl-i-cirros -p icmp -j RETURN",
                "-A dvrl-i-cirros -s 192.168.10.0/24 -p tcp -m tcp --dport 22 -j RETURN",
                "-A dvrl-i-cirros -j DROP",
                "-A dvrl-o-cirros -j RETURN",
                "-I FORWARD 1 -m physdev --physdev-out tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-i-cirros",
                "COMMIT",
                "",
            ].join("\n"),
        );
    });

    it("parses `iptables -S` back to rules and finds missing jumps", () => {
        const r = chainRules(sg);
        const text = ["-P FORWARD ACCEPT", "-N dvrl-i-cirros", "-N dvrl-o-cirros", "-A FORWARD -m physdev --physdev-out tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-i-cirros", ...r.ingress, ...r.egress].join("\n");
        const st = parseState(text, sg);
        assert.deepEqual(st.jumps, [true, false]);
        assert.deepEqual(parseRules("dvrl-i-cirros", st.ingress!), sg.ingress);
        assert.equal(parseRules("dvrl-i-cirros", ["-A dvrl-i-cirros -j ACCEPT"]), undefined);
    });

    it("deletes jumps by exact spec, then the chains, tolerating absence", () => {
        const [j1, , chainsCmd] = planDelete(sg);
        assert.deepEqual(j1.slice(4), ["FORWARD", "-m", "physdev", "--physdev-out", "tap-cirros", "--physdev-is-bridged", "-m", "comment", "--comment", "dvrlab-sg-cirros", "-j", "dvrl-i-cirros"]);
        assert.deepEqual(chainsCmd.slice(-2), ["dvrl-i-cirros", "dvrl-o-cirros"]);
    });

    it("check refuses ports on icmp, bad CIDRs and shell in the tap name", () => {
        const bad = securityGroupSchema.safeParse({ ...sg, tap: "tap;x", ingress: [{ protocol: "icmp", port: 5 }, { protocol: "tcp", remoteCidr: "10.0.0.0/33" }] });
        assert.ok(!bad.success);
        const paths = bad.error.issues.map((i) => i.path.join("."));
        assert.deepEqual(paths.sort(), ["ingress.0.port", "ingress.1.remoteCidr", "tap"]);
    });

    it("normalises a rule as iptables prints it back (host bits cleared, one-port range is a port), so it is no drift", () => {
        const r = securityGroupSchema.parse({ ...sg, ingress: [{ protocol: "tcp", port: "22:22", remoteCidr: "10.1.2.3/16" }, { protocol: "udp", port: "0080:0090", remoteCidr: "192.168.10.168/32" }] });
        assert.deepEqual(r.ingress, [
            { protocol: "tcp", port: 22, remoteCidr: "10.1.0.0/16" },
            { protocol: "udp", port: "80:90", remoteCidr: "192.168.10.168/32" },
        ]);
        assert.deepEqual(securityGroupSchema.parse(r).ingress, r.ingress, "idempotent");
        assert.equal(networkOf("10.0.0.1/0"), "0.0.0.0/0");
        assert.equal(networkOf("172.30.124.255/31"), "172.30.124.254/31");
    });
});
