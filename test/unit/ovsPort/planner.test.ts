import { strict as assert } from "assert";
import { ovsPortSchema } from "../../../provider/ovsPort/schema";
import { parsePort, planConverge, planCreate, toInputs } from "../../../provider/ovsPort/planner";

const base = { connection: { host: "10.0.0.1" }, owner: "dvrlab:p/s" };

describe("OvsPort planner", () => {
    it("adds the seed's qvo with tag 1 in one transaction", () => {
        const p = ovsPortSchema.parse({ ...base, bridge: "br-int", name: "qvo-cirros", tag: 1 });
        assert.deepEqual(planCreate(p), [
            ["ovs-vsctl", "--timeout=10", "--", "add-port", "br-int", "qvo-cirros", "--", "set", "Interface", "qvo-cirros", 'type=""', "--", "set", "Port", "qvo-cirros", 'external_ids:dvrlab-owner="dvrlab:p/s"', "tag=1"],
        ]);
    });

    it("adds a VXLAN port with Neutron's options and a requested ofport", () => {
        const p = ovsPortSchema.parse({ ...base, bridge: "br-tun", name: "vxlan-64", type: "vxlan", ofportRequest: 2, options: { remoteIp: "172.30.124.64", localIp: "172.30.124.233", key: "flow", dstPort: 4789 } });
        const [cmd] = planCreate(p);
        assert.deepEqual(cmd.slice(8, 15), ["Interface", "vxlan-64", "type=vxlan", 'options:remote_ip="172.30.124.64"', 'options:local_ip="172.30.124.233"', 'options:key="flow"', 'options:dst_port="4789"']);
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
        assert.deepEqual(st, { bridge: "br-int", tag: 1, externalIds: { "dvrlab-owner": "dvrlab:p/s" }, type: "system", options: {}, ofport: 7, ofportRequest: undefined, error: undefined });
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
});
