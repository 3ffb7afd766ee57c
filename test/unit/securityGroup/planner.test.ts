import { strict as assert } from "assert";
import { networkOf, securityGroupSchema } from "../../../provider/securityGroup/schema";
import { chainRules, parsePair, parseRules, parseState, planDelete, readBack, restoreScript, unmarkedChains } from "../../../provider/securityGroup/planner";

const sg = securityGroupSchema.parse({
    connection: { host: "10.0.0.1" },
    owner: "dvrlab:p/s",
    portId: "cirros",
    tap: "tap-cirros",
    ip: "192.168.10.168",
    mac: "FA:16:3E:FF:AA:66",
    ingress: [{ protocol: "icmp" }, { protocol: "tcp", port: 22, remoteCidr: "192.168.10.0/24" }],
});

/** Every rule of the three chains of `sg`, in order, as iptables-restore takes them and `iptables -S` prints them. */
const INGRESS = [
    "-A dvrl-i-cirros -m state --state RELATED,ESTABLISHED -j ACCEPT",
    "-A dvrl-i-cirros -d 192.168.10.168/32 -p udp -m udp --sport 67 --dport 68 -j ACCEPT",
    "-A dvrl-i-cirros -d 255.255.255.255/32 -p udp -m udp --sport 67 --dport 68 -j ACCEPT",
    "-A dvrl-i-cirros -p icmp -j ACCEPT",
    "-A dvrl-i-cirros -s 192.168.10.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
    "-A dvrl-i-cirros -m state --state INVALID -j DROP",
    "-A dvrl-i-cirros -j DROP",
];
const EGRESS = [
    "-A dvrl-o-cirros -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j ACCEPT",
    "-A dvrl-o-cirros -j dvrl-s-cirros",
    "-A dvrl-o-cirros -p udp -m udp --sport 68 --dport 67 -j ACCEPT",
    "-A dvrl-o-cirros -p udp -m udp --sport 67 --dport 68 -j DROP",
    "-A dvrl-o-cirros -m state --state RELATED,ESTABLISHED -j ACCEPT",
    "-A dvrl-o-cirros -j ACCEPT",
    "-A dvrl-o-cirros -m state --state INVALID -j DROP",
    "-A dvrl-o-cirros -j DROP",
];
const SOURCE = ["-A dvrl-s-cirros -s 192.168.10.168/32 -m mac --mac-source fa:16:3e:ff:aa:66 -j RETURN", "-A dvrl-s-cirros -j DROP"];
const JUMP_IN = "-A FORWARD -m physdev --physdev-out tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-i-cirros";
const JUMP_OUT = "-A FORWARD -m physdev --physdev-in tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-o-cirros";

describe("SecurityGroup planner", () => {
    it("writes the three chains and the missing FORWARD jumps in one iptables-restore transaction", () => {
        assert.equal(
            restoreScript(sg, [false, true]),
            [
                "*filter",
                ":dvrl-i-cirros - [0:0]",
                ":dvrl-o-cirros - [0:0]",
                ":dvrl-s-cirros - [0:0]",
                "-F dvrl-i-cirros",
                "-F dvrl-o-cirros",
                "-F dvrl-s-cirros",
                ...INGRESS,
                ...EGRESS,
                ...SOURCE,
                "-I FORWARD 1 -m physdev --physdev-out tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-i-cirros",
                "COMMIT",
                "",
            ].join("\n"),
        );
        assert.ok(
            restoreScript(sg, [true, false]).includes(
                "\n-I FORWARD 1 -m physdev --physdev-in tap-cirros --physdev-is-bridged -m comment --comment dvrlab-sg-cirros -j dvrl-o-cirros\nCOMMIT\n",
            ),
        );
        assert.ok(!restoreScript(sg, [true, true]).includes("FORWARD"), "jumps that exist are not added again");
    });

    it("egress rules accept by destination; [] allows only DHCP and replies", () => {
        const r = chainRules(securityGroupSchema.parse({ ...sg, egress: [{ protocol: "udp", port: 53, remoteCidr: "10.0.0.0/8" }, { protocol: "icmp" }] }));
        assert.deepEqual(r.egress.slice(5), [
            "-A dvrl-o-cirros -d 10.0.0.0/8 -p udp -m udp --dport 53 -j ACCEPT",
            "-A dvrl-o-cirros -p icmp -j ACCEPT",
            "-A dvrl-o-cirros -m state --state INVALID -j DROP",
            "-A dvrl-o-cirros -j DROP",
        ]);
        assert.deepEqual(chainRules(securityGroupSchema.parse({ ...sg, egress: [] })).egress, [...EGRESS.slice(0, 5), ...EGRESS.slice(6)]);
    });

    it("unset egress is allow-all, as Neutron's new groups; ip and mac are required", () => {
        assert.deepEqual(sg.egress, [{ protocol: "any", remoteCidr: "0.0.0.0/0" }]);
        assert.equal(sg.mac, "fa:16:3e:ff:aa:66");
        const { ip: _i, mac: _m, ...noPair } = sg;
        const bad = securityGroupSchema.safeParse({ ...noPair, mac: "fa:16:3e" });
        assert.ok(!bad.success);
        assert.deepEqual(bad.error.issues.map((i) => i.path.join(".")).sort(), ["ip", "mac"]);
    });

    it("reads `iptables -S` back to rules and pair, and finds missing jumps", () => {
        const text = ["-P FORWARD DROP", "-N dvrl-i-cirros", "-N dvrl-o-cirros", "-N dvrl-s-cirros", JUMP_IN, ...INGRESS, ...EGRESS, ...SOURCE].join("\n");
        const st = parseState(text, sg);
        assert.deepEqual(st, { jumps: [true, false], marked: true, ingress: INGRESS, egress: EGRESS, source: SOURCE });
        assert.deepEqual(readBack(st, sg), {
            pair: { ip: "192.168.10.168", mac: "fa:16:3e:ff:aa:66" },
            ingress: [
                { protocol: "icmp", remoteCidr: "0.0.0.0/0" },
                { protocol: "tcp", port: 22, remoteCidr: "192.168.10.0/24" },
            ],
            egress: [{ protocol: "any", remoteCidr: "0.0.0.0/0" }],
            problems: ["FORWARD jump missing"],
        });
        assert.deepEqual(parseState("-P FORWARD ACCEPT", sg), {
            jumps: [false, false],
            marked: false,
            ingress: undefined,
            egress: undefined,
            source: undefined,
        });
    });

    it("a deleted allow rule is a rule fewer; a deleted or edited fixed rule is reported broken", () => {
        const full = { jumps: [true, true], marked: true, ingress: INGRESS, egress: EGRESS, source: SOURCE };
        const lessIcmp = readBack({ ...full, ingress: INGRESS.filter((l) => !l.includes("-p icmp")) }, sg);
        assert.deepEqual(lessIcmp.ingress, [{ protocol: "tcp", port: 22, remoteCidr: "192.168.10.0/24" }]);
        assert.deepEqual(lessIcmp.problems, []);
        const noDhcpDrop = readBack({ ...full, egress: EGRESS.filter((l) => !l.endsWith("--sport 67 --dport 68 -j DROP")) }, sg);
        assert.deepEqual(noDhcpDrop.problems, ["egress chain missing or edited by hand"]);
        const noSource = readBack({ ...full, source: undefined }, sg);
        assert.deepEqual(noSource.problems, ["source chain missing or edited by hand"]);
        assert.deepEqual(noSource.ingress, sg.ingress, "ingress still read with the input's address");
        assert.equal(parsePair("dvrl-s-cirros", [SOURCE[0]]), undefined, "no final DROP: not ours");
        assert.equal(parseRules("dvrl-i-cirros", "ingress", [], ["-A dvrl-i-cirros -j ACCEPT"]), undefined);
    });

    it("another address or MAC on the host is read as the host's, so diff shows it", () => {
        // as iptables-legacy prints it: the MAC in upper case
        const src = ["-A dvrl-s-cirros -s 192.168.10.9/32 -m mac --mac-source FA:16:3E:00:00:01 -j RETURN", "-A dvrl-s-cirros -j DROP"];
        const ingress = INGRESS.map((l) => l.replace("192.168.10.168/32", "192.168.10.9/32"));
        const r = readBack({ jumps: [true, true], marked: true, ingress, egress: EGRESS, source: src }, sg);
        assert.deepEqual(r.pair, { ip: "192.168.10.9", mac: "fa:16:3e:00:00:01" });
        assert.deepEqual(r.problems, []);
    });

    it("deletes jumps by exact spec, then flushes all chains before deleting any, tolerating only absence", () => {
        const plan = planDelete(sg);
        assert.equal(plan.length, 3);
        assert.deepEqual(plan[0].slice(4), [
            "FORWARD",
            "-m",
            "physdev",
            "--physdev-out",
            "tap-cirros",
            "--physdev-is-bridged",
            "-m",
            "comment",
            "--comment",
            "dvrlab-sg-cirros",
            "-j",
            "dvrl-i-cirros",
        ]);
        assert.deepEqual(plan[1].slice(4), JUMP_OUT.slice(3).split(" "));
        assert.deepEqual(plan[2].slice(3), ["sh", "dvrl-i-cirros", "dvrl-o-cirros", "dvrl-s-cirros"]);
        assert.equal(
            plan[2][2],
            'for c in "$@"; do if iptables -w -n -L "$c" >/dev/null 2>&1; then iptables -w -F "$c" || exit 1; fi; done\nfor c in "$@"; do if iptables -w -n -L "$c" >/dev/null 2>&1; then iptables -w -X "$c" || exit 1; fi; done',
        );
    });

    it("check refuses ports on icmp, bad CIDRs and shell in the tap name", () => {
        const bad = securityGroupSchema.safeParse({
            ...sg,
            tap: "tap;x",
            ingress: [
                { protocol: "icmp", port: 5 },
                { protocol: "tcp", remoteCidr: "10.0.0.0/33" },
            ],
            egress: [{ protocol: "any", port: 53 }],
        });
        assert.ok(!bad.success);
        const paths = bad.error.issues.map((i) => i.path.join("."));
        assert.deepEqual(paths.sort(), ["egress.0.port", "ingress.0.port", "ingress.1.remoteCidr", "tap"]);
    });

    it("normalises a rule as iptables prints it back (host bits cleared, one-port range is a port), so it is no drift", () => {
        const r = securityGroupSchema.parse({
            ...sg,
            ingress: [
                { protocol: "tcp", port: "22:22", remoteCidr: "10.1.2.3/16" },
                { protocol: "udp", port: "0080:0090", remoteCidr: "192.168.10.168/32" },
            ],
        });
        assert.deepEqual(r.ingress, [
            { protocol: "tcp", port: 22, remoteCidr: "10.1.0.0/16" },
            { protocol: "udp", port: "80:90", remoteCidr: "192.168.10.168/32" },
        ]);
        assert.deepEqual(securityGroupSchema.parse(r).ingress, r.ingress, "idempotent");
        assert.equal(networkOf("10.0.0.1/0"), "0.0.0.0/0");
        assert.equal(networkOf("172.30.124.255/31"), "172.30.124.254/31");
    });

    it("parseRules: only our exact head and tail (INVALID, then DROP); a host address reads as /32, ranges stay text", () => {
        const C = "dvrl-i-x";
        const head = [`-A ${C} -m state --state RELATED,ESTABLISHED -j ACCEPT`, `-A ${C} -p udp -m udp --sport 67 --dport 68 -j ACCEPT`];
        const tail = [`-A ${C} -m state --state INVALID -j DROP`, `-A ${C} -j DROP`];
        assert.deepEqual(
            parseRules(C, "ingress", head, [
                ...head,
                `-A ${C} -s 10.0.0.5 -p udp -m udp --dport 1000:2000 -j ACCEPT`,
                `-A ${C} -p tcp -m tcp --dport 22 -j ACCEPT`,
                `-A ${C} -j ACCEPT`,
                ...tail,
            ]),
            [
                { protocol: "udp", remoteCidr: "10.0.0.5/32", port: "1000:2000" },
                { protocol: "tcp", remoteCidr: "0.0.0.0/0", port: 22 },
                { protocol: "any", remoteCidr: "0.0.0.0/0" },
            ],
        );
        assert.deepEqual(parseRules(C, "ingress", head, [...head, ...tail]), [], "no rules: default deny");
        assert.deepEqual(
            parseRules(C, "egress", [], [`-A ${C} -d 10.0.0.0/8 -p icmp -j ACCEPT`, ...tail]),
            [{ protocol: "icmp", remoteCidr: "10.0.0.0/8" }],
            "egress: the remote end is -d",
        );
        // any other head, tail or body line is drift we cannot express
        assert.equal(parseRules(C, "egress", [], [`-A ${C} -s 10.0.0.0/8 -p icmp -j ACCEPT`, ...tail]), undefined, "egress by source");
        assert.equal(parseRules(C, "ingress", head, [head[1], head[0], ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [head[0], `-A ${C} -p udp -m udp --sport 67 -j ACCEPT`, ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [...head, `-A ${C} -j ACCEPT`, tail[1]]), undefined, "no INVALID drop");
        assert.equal(parseRules(C, "ingress", head, [...head, `-A ${C} -j ACCEPT`, tail[0]]), undefined, "no final DROP");
        assert.equal(parseRules(C, "ingress", head, [...head, `-A ${C} -p tcp -m tcp --dport 22 -j RETURN`, ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [...head, `-A ${C} -p sctp -j ACCEPT`, ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [...head, `-A dvrl-i-y -j ACCEPT`, ...tail]), undefined, "another chain's line");
        assert.equal(parseRules(C, "ingress", head, [...head, `x-A ${C} -j ACCEPT`, ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [...head, `-A ${C} -j ACCEPT x`, ...tail]), undefined);
        assert.equal(parseRules(C, "ingress", head, [head[0], tail[1]]), undefined, "shorter than head and tail");
    });

    it("parseState keeps only our chains' own lines; a chain without its -N line is absent", () => {
        const st = parseState(["-N dvrl-i-cirros", "-A dvrl-i-cirros -j DROP", "-A dvrl-i-cirrosX -j DROP", "-A dvrl-s-cirros -j DROP"].join("\n"), sg);
        assert.deepEqual(st, { jumps: [false, false], marked: false, ingress: ["-A dvrl-i-cirros -j DROP"], egress: undefined, source: undefined });
        assert.deepEqual(
            parsePair("dvrl-s-cirros", ["-A dvrl-s-cirros -s 10.0.0.5/24 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN", "-A dvrl-s-cirros -j DROP"]),
            undefined,
            "not a /32",
        );
        assert.deepEqual(
            parsePair("dvrl-s-cirros", [
                "-A dvrl-s-cirros -s 10.0.0.5/32 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN",
                "-A dvrl-s-cirros -j DROP",
                "-A dvrl-s-cirros -j ACCEPT",
            ]),
            undefined,
            "a line more",
        );
    });
});

describe("SecurityGroup ownership: the FORWARD jump's comment marks the chains", () => {
    it("chains with our comment in FORWARD are ours (even with a jump edited); chains of our names without it are someone else's", () => {
        const ours = parseState(["-N dvrl-i-cirros", "-N dvrl-s-cirros", JUMP_IN, ...SOURCE].join("\n"), sg);
        assert.deepEqual(unmarkedChains(ours, sg), []);
        const edited = parseState(["-N dvrl-i-cirros", JUMP_IN.replace("-j dvrl-i-cirros", "-j ACCEPT")].join("\n"), sg);
        assert.deepEqual(unmarkedChains(edited, sg), []);
        const foreign = parseState(["-N dvrl-i-cirros", "-N dvrl-s-cirros", "-A dvrl-s-cirros -j RETURN", "-A FORWARD -j dvrl-i-cirros"].join("\n"), sg);
        assert.deepEqual(unmarkedChains(foreign, sg), ["dvrl-i-cirros", "dvrl-s-cirros"]);
        assert.deepEqual(unmarkedChains(parseState("-P FORWARD ACCEPT", sg), sg), []);
    });
});
