import { strict as assert } from "assert";
import { ovsPortSchema } from "../../../provider/ovsPort/schema";
import { parsePort, planAdopt, planConverge, planCreate, planDelete, planRelease, toInputs } from "../../../provider/ovsPort/planner";

const base = { connection: { host: "10.0.0.1" }, owner: "dvrlab:p/s" };

describe("OvsPort planner", () => {
    it("adds the seed's qvo with tag 1 in one transaction", () => {
        const p = ovsPortSchema.parse({ ...base, bridge: "br-int", name: "qvo-cirros", tag: 1 });
        assert.deepEqual(planCreate(p), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--",
                "add-port",
                "br-int",
                "qvo-cirros",
                "--",
                "set",
                "Interface",
                "qvo-cirros",
                'type=""',
                "--",
                "set",
                "Port",
                "qvo-cirros",
                'external_ids:dvrlab-owner="dvrlab:p/s"',
                "tag=1",
            ],
        ]);
    });

    it("adds a VXLAN port with Neutron's options and a requested ofport", () => {
        const p = ovsPortSchema.parse({
            ...base,
            bridge: "br-tun",
            name: "vxlan-64",
            type: "vxlan",
            ofportRequest: 2,
            options: { remoteIp: "172.30.124.64", localIp: "172.30.124.233", key: "flow", dstPort: 4789 },
        });
        const [cmd] = planCreate(p);
        assert.deepEqual(cmd.slice(8, 15), [
            "Interface",
            "vxlan-64",
            "type=vxlan",
            'options:remote_ip="172.30.124.64"',
            'options:local_ip="172.30.124.233"',
            'options:key="flow"',
            'options:dst_port="4789"',
        ]);
        assert.ok(cmd.includes("ofport_request=2"));
    });

    it("converges a tag change in place and clears a removed tag", () => {
        const p = ovsPortSchema.parse({ ...base, bridge: "br-int", name: "qvo-x" });
        const cur = { bridge: "br-int", tag: 5, externalIds: { "dvrlab-owner": "dvrlab:p/s" }, type: "system", options: {} };
        assert.ok(planConverge(cur, p)[0].join(" ").endsWith("-- clear Port qvo-x tag"));
    });

    it("parses port-to-br + Port + Interface rows as OVS prints them", () => {
        const out = [
            "br-int",
            JSON.stringify({ data: [[1, ["map", [["dvrlab-owner", "dvrlab:p/s"]]]]], headings: ["tag", "external_ids"] }),
            JSON.stringify({ data: [["", ["map", []], 7, ["set", []], ["set", []]]], headings: ["type", "options", "ofport", "ofport_request", "error"] }),
            "",
        ].join("\n");
        const st = parsePort(out)!;
        assert.deepEqual(st, {
            bridge: "br-int",
            tag: 1,
            externalIds: { "dvrlab-owner": "dvrlab:p/s" },
            type: "system",
            options: {},
            ofport: 7,
            ofportRequest: undefined,
            error: undefined,
        });
        const p = ovsPortSchema.parse({ ...base, bridge: "br-int", name: "qvo-x", tag: 1 });
        assert.deepEqual(toInputs(st, p), p);
        assert.equal(parsePort(""), undefined);
    });

    it("check: patch needs a peer, vxlan a remote ip, tunnel options only on vxlan; VLAN and VNI ranges", () => {
        const issues = (x: any) => {
            const r = ovsPortSchema.safeParse({ ...base, bridge: "br-tun", name: "p", ...x });
            return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
        };
        assert.match(issues({ type: "patch" }).join(), /options.peer: a patch port needs/);
        assert.match(issues({ type: "vxlan" }).join(), /options.remoteIp: a vxlan port needs/);
        assert.match(issues({ options: { remoteIp: "1.2.3.4" } }).join(), /options: tunnel options only apply/);
        assert.match(issues({ tag: 4096 }).join(), /^tag:/);
        assert.match(issues({ type: "vxlan", options: { remoteIp: "1.2.3.4", key: 2 ** 24 } }).join(), /options.key/);
        assert.match(issues({ type: "vxlan", options: { remoteIp: "1.2.3.400" } }).join(), /options.remoteIp: an IPv4/);
    });

    it("converges everything in one transaction: settings, then removals of options and ids not wanted, cleared tag and ofport_request", () => {
        const p = ovsPortSchema.parse({
            ...base,
            bridge: "br-tun",
            name: "vxlan-x",
            type: "vxlan",
            options: { remoteIp: "10.0.0.2" },
            externalIds: { keep: "1" },
        });
        const cur = {
            bridge: "br-tun",
            tag: 3,
            externalIds: { "dvrlab-owner": "dvrlab:p/s", keep: "1", stale: "x" },
            type: "vxlan",
            options: { remote_ip: "10.0.0.9", key: "flow" },
            ofportRequest: 5,
        };
        assert.deepEqual(planConverge(cur, p), [
            [
                ...["ovs-vsctl", "--timeout=10", "--", "set", "Interface", "vxlan-x", "type=vxlan", 'options:remote_ip="10.0.0.2"'],
                ...["--", "set", "Port", "vxlan-x", 'external_ids:keep="1"', 'external_ids:dvrlab-owner="dvrlab:p/s"'],
                ...["--", "remove", "Interface", "vxlan-x", "options", "key"],
                ...["--", "remove", "Port", "vxlan-x", "external_ids", "stale"],
                ...["--", "clear", "Port", "vxlan-x", "tag"],
                ...["--", "clear", "Interface", "vxlan-x", "ofport_request"],
            ],
        ]);
        const same = ovsPortSchema.parse({
            ...p,
            tag: 3,
            ofportRequest: 5,
            options: { remoteIp: "10.0.0.2", key: "flow" },
            externalIds: { keep: "1", stale: "x" },
        });
        assert.deepEqual(
            planConverge(cur, same)[0].filter((a) => a === "remove" || a === "clear"),
            [],
            "nothing to remove or clear",
        );
        assert.deepEqual(planDelete("br-tun", "vxlan-x"), [["ovs-vsctl", "--timeout=10", "--if-exists", "del-port", "br-tun", "vxlan-x"]]);
    });

    it("reads a tunnel port back: options in input names, key flow or a number, owner apart from other ids, a failed ofport (-1) as none", () => {
        const out = [
            " br-tun ",
            JSON.stringify({
                data: [
                    [
                        ["set", []],
                        [
                            "map",
                            [
                                ["dvrlab-owner", "dvrlab:p/s"],
                                ["keep", "1"],
                            ],
                        ],
                    ],
                ],
                headings: ["tag", "external_ids"],
            }),
            JSON.stringify({
                data: [
                    [
                        "vxlan",
                        [
                            "map",
                            [
                                ["remote_ip", "10.0.0.2"],
                                ["local_ip", "10.0.0.1"],
                                ["key", "77"],
                                ["dst_port", "4790"],
                                ["peer", "x"],
                            ],
                        ],
                        -1,
                        9,
                        "could not open",
                    ],
                ],
                headings: ["type", "options", "ofport", "ofport_request", "error"],
            }),
        ].join("\n");
        const st = parsePort(out)!;
        assert.deepEqual(st, {
            bridge: "br-tun",
            tag: undefined,
            externalIds: { "dvrlab-owner": "dvrlab:p/s", keep: "1" },
            type: "vxlan",
            options: { remote_ip: "10.0.0.2", local_ip: "10.0.0.1", key: "77", dst_port: "4790", peer: "x" },
            ofport: undefined,
            ofportRequest: 9,
            error: "could not open",
        });
        const olds = ovsPortSchema.parse({ ...base, bridge: "br-old", name: "vxlan-x", type: "vxlan", tag: 4, options: { remoteIp: "10.0.0.2" } });
        const r = toInputs(st, olds);
        assert.deepEqual([r.bridge, r.owner, r.type, r.tag, r.ofportRequest, r.externalIds], ["br-tun", "dvrlab:p/s", "vxlan", undefined, 9, { keep: "1" }]);
        assert.deepEqual(r.options, { peer: "x", remoteIp: "10.0.0.2", localIp: "10.0.0.1", key: 77, dstPort: 4790 });
        assert.equal("tag" in r, false, "a cleared tag is no tag");
        assert.equal(toInputs({ ...st, options: { key: "flow" }, externalIds: {} }, olds).options.key, "flow");
        assert.equal(toInputs({ ...st, externalIds: {} }, olds).owner, "", "no owner id: not ours");
        assert.equal("ofportRequest" in toInputs({ ...st, ofportRequest: undefined }, olds), false, "neither requested nor set: not read back");
        assert.equal(parsePort("br-int\n\n"), undefined, "port-to-br only");
        assert.equal(
            parsePort(["br-int", JSON.stringify({ data: [], headings: ["tag"] }), JSON.stringify({ data: [], headings: ["type"] })].join("\n")),
            undefined,
            "rows vanished between the reads",
        );
        assert.equal(
            parsePort(
                [
                    "br-int",
                    JSON.stringify({ data: [[1, ["map", []]]], headings: ["tag", "external_ids"] }),
                    JSON.stringify({ data: [], headings: ["type"] }),
                ].join("\n"),
            ),
            undefined,
            "no Interface row",
        );
        const zero = parsePort(
            [
                "br-int",
                JSON.stringify({ data: [[1, ["map", []]]], headings: ["tag", "external_ids"] }),
                JSON.stringify({
                    data: [["internal", ["map", []], 0, ["set", []], ["set", []]]],
                    headings: ["type", "options", "ofport", "ofport_request", "error"],
                }),
            ].join("\n"),
        )!;
        assert.deepEqual([zero.ofport, zero.type], [0, "internal"], "ofport 0 (LOCAL) is a port number");
    });
});

describe("OvsPort planner: adoption", () => {
    const p = ovsPortSchema.parse({ ...base, bridge: "br-int", name: "patch-tun", type: "patch", options: { peer: "patch-int" }, adopt: true });
    const host = {
        bridge: "br-int",
        externalIds: { "neutron-id": "n1" },
        type: "patch",
        options: { peer: "patch-int", extra: "1" },
        ofport: 3,
    };

    it("adopting marks the port ours and adopted, keeping the host's own external_ids and options", () => {
        assert.deepEqual(planAdopt(host, p), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--",
                "set",
                "Interface",
                "patch-tun",
                "type=patch",
                'options:peer="patch-int"',
                "--",
                "set",
                "Port",
                "patch-tun",
                'external_ids:dvrlab-owner="dvrlab:p/s"',
                "--",
                "set",
                "Port",
                "patch-tun",
                "external_ids:dvrlab-adopted=true",
            ],
        ]);
    });

    it("a port dvrlab created loses what the spec does not have; read hides the marks", () => {
        const ours = { ...host, externalIds: { "dvrlab-owner": "dvrlab:p/s", "neutron-id": "n1" } };
        const cmd = planConverge(ours, p)[0];
        assert.deepEqual(cmd.slice(-12), [
            "--",
            "remove",
            "Interface",
            "patch-tun",
            "options",
            "extra",
            "--",
            "remove",
            "Port",
            "patch-tun",
            "external_ids",
            "neutron-id",
        ]);
        const adopted = { ...host, externalIds: { "dvrlab-owner": "dvrlab:p/s", "dvrlab-adopted": "true", "neutron-id": "n1" } };
        assert.equal(planConverge(adopted, p)[0].includes("remove"), false, "an adopted port keeps the host's ids and options");
        assert.deepEqual(toInputs(adopted, p).externalIds, { "neutron-id": "n1" });
        assert.equal(toInputs(adopted, p).owner, "dvrlab:p/s");
    });

    it("release (destroy of an adopted port) removes only the two marks", () => {
        assert.deepEqual(planRelease("patch-tun"), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--if-exists",
                "remove",
                "Port",
                "patch-tun",
                "external_ids",
                "dvrlab-owner",
                "--",
                "--if-exists",
                "remove",
                "Port",
                "patch-tun",
                "external_ids",
                "dvrlab-adopted",
            ],
        ]);
    });
});
