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

    it("parseRules: only our exact header (conntrack, DHCP reply) and final DROP; a host address reads as /32, ranges stay text", () => {
        const C = "dvrl-i-x";
        const head = [`-A ${C} -m state --state RELATED,ESTABLISHED -j RETURN`, `-A ${C} -p udp -m udp --sport 67 --dport 68 -j RETURN`];
        const drop = `-A ${C} -j DROP`;
        assert.deepEqual(parseRules(C, [...head, `-A ${C} -s 10.0.0.5 -p udp -m udp --dport 1000:2000 -j RETURN`, `-A ${C} -p tcp -m tcp --dport 22 -j RETURN`, `-A ${C} -j RETURN`, drop]), [
            { protocol: "udp", remoteCidr: "10.0.0.5/32", port: "1000:2000" },
            { protocol: "tcp", remoteCidr: "0.0.0.0/0", port: 22 },
            { protocol: "any", remoteCidr: "0.0.0.0/0" },
        ]);
        assert.deepEqual(parseRules(C, [...head, drop]), [], "no rules: default deny");
        // any other header, footer or body line is drift we cannot express
        assert.equal(parseRules(C, [head[1], head[0], drop]), undefined);
        assert.equal(parseRules(C, [head[0], `-A ${C} -p udp -m udp --sport 67 -j RETURN`, drop]), undefined);
        assert.equal(parseRules(C, [...head, `-A ${C} -j RETURN`]), undefined, "no final DROP");
        assert.equal(parseRules(C, [...head, `-A ${C} -p tcp -m tcp --dport 22 -j ACCEPT`, drop]), undefined);
        assert.equal(parseRules(C, [...head, `-A ${C} -p sctp -j RETURN`, drop]), undefined);
        assert.equal(parseRules(C, [...head, `-A dvrl-i-y -j RETURN`, drop]), undefined, "another chain's line");
        assert.equal(parseRules(C, [...head, `x-A ${C} -j RETURN`, drop]), undefined);
        assert.equal(parseRules(C, [...head, `-A ${C} -j RETURN x`, drop]), undefined);
    });

    it("writes jumps only where they are missing, as inserts at the top of FORWARD; egress is open", () => {
        const script = restoreScript(sg, [true, false]).split("\n");
        assert.deepEqual(script.filter((l) => l.includes("FORWARD")), [
            "-I FORWARD 1 -m physdev --physdev-in tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-o-cirros",
        ]);
        assert.equal(restoreScript(sg, [true, true]).includes("FORWARD"), false);
        assert.deepEqual(chainRules(sg).egress, ["-A dvrl-o-cirros -j RETURN"]);
        const st = parseState(["-N dvrl-i-cirros", "-A dvrl-i-cirros -j DROP", "-A dvrl-i-cirrosX -j DROP"].join("\n"), sg);
        assert.deepEqual(st, { jumps: [false, false], ingress: ["-A dvrl-i-cirros -j DROP"], egress: undefined });
        const [, j2, chainsCmd] = planDelete(sg);
        assert.deepEqual(j2, ["sh", "-c", 'while iptables -w -C "$@" 2>/dev/null; do iptables -w -D "$@" || exit 1; done', "sh", "FORWARD", "-m", "physdev", "--physdev-in", "tap-cirros", "--physdev-is-bridged", "-m", "comment", "--comment", "dvrlab-sg-cirros", "-j", "dvrl-o-cirros"]);
        assert.deepEqual(chainsCmd, ["sh", "-c", 'for c in "$1" "$2"; do iptables -w -F "$c" 2>/dev/null; iptables -w -X "$c" 2>/dev/null; done; true', "sh", "dvrl-i-cirros", "dvrl-o-cirros"]);
    });
});
