import { strict as assert } from "assert";
import { ovsBridgeSchema } from "../../../provider/ovsBridge/schema";
import { conflicts, findBridge, parseBridge, planConverge, planCreate, planDelete, toInputs } from "../../../provider/ovsBridge/planner";

const spec = ovsBridgeSchema.parse({ connection: { host: "10.0.0.1" }, owner: "dvrlab:p/s", name: "br-int", externalIds: { role: "integration" } });

describe("OvsBridge planner", () => {
    it("creates bridge and settings in one OVSDB transaction", () => {
        assert.deepEqual(planCreate(spec, "netdev"), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--",
                "add-br",
                "br-int",
                "--",
                "set",
                "Bridge",
                "br-int",
                "datapath_type=netdev",
                "fail_mode=secure",
                "protocols=OpenFlow10,OpenFlow13,OpenFlow14",
                'external_ids:role="integration"',
                'external_ids:dvrlab-owner="dvrlab:p/s"',
            ],
        ]);
    });

    it("converges and removes external ids the user dropped, keeping the owner", () => {
        const cur = {
            name: "br-int",
            datapathType: "netdev",
            failMode: "secure",
            protocols: ["OpenFlow10"],
            externalIds: { old: "x", "dvrlab-owner": "dvrlab:p/s" },
        };
        const [cmd] = planConverge(cur, spec, "netdev");
        assert.deepEqual(cmd.slice(-6), ["--", "remove", "Bridge", "br-int", "external_ids", "old"]);
        assert.ok(!cmd.join(" ").includes("remove Bridge br-int external_ids dvrlab-owner"));
    });

    it("reports conflicting settings of an unmanaged bridge", () => {
        const cur = { name: "br-int", datapathType: "system", protocols: [], externalIds: {} };
        assert.deepEqual(conflicts(cur, spec, "netdev"), ["datapathType system (want netdev)", "failMode standalone (want secure)"]);
    });

    it("reads back in input form, owner apart from the user's ids", () => {
        const cur = {
            name: "br-int",
            datapathType: "netdev",
            failMode: "secure",
            protocols: ["OpenFlow10", "OpenFlow13", "OpenFlow14"],
            externalIds: { role: "integration", "dvrlab-owner": "dvrlab:p/s" },
        };
        assert.deepEqual(toInputs(cur, spec), { ...spec, datapathType: "netdev" });
    });

    it("deletes scoped to the name", () => {
        assert.deepEqual(planDelete("br-int"), [["ovs-vsctl", "--timeout=10", "--if-exists", "del-br", "br-int"]]);
    });

    it("check refuses bad external ids and protocols, naming them", () => {
        const r = ovsBridgeSchema.safeParse({ ...spec, externalIds: { "a b": "x" }, protocols: ["OpenFlow99"] });
        assert.ok(!r.success);
        const paths = r.error.issues.map((i) => i.path.join("."));
        assert.ok(paths.includes("externalIds.a b"), paths.join());
        assert.ok(paths.includes("protocols.0"), paths.join());
    });

    it("finds a bridge by its quoted name and reads its row as OVS prints it (sets sorted, empty values as defaults)", () => {
        assert.deepEqual(findBridge("br-int"), [
            "ovs-vsctl",
            "--timeout=10",
            "--format=json",
            "--columns=name,datapath_type,fail_mode,protocols,external_ids",
            "find",
            "Bridge",
            'name="br-int"',
        ]);
        const headings = ["name", "datapath_type", "fail_mode", "protocols", "external_ids"];
        const row = (r: any[]) => JSON.stringify({ data: [r], headings });
        assert.deepEqual(parseBridge(row(["br-int", "netdev", "secure", ["set", ["OpenFlow14", "OpenFlow10"]], ["map", [["dvrlab-owner", "dvrlab:p/s"]]]])), {
            name: "br-int",
            datapathType: "netdev",
            failMode: "secure",
            protocols: ["OpenFlow10", "OpenFlow14"],
            externalIds: { "dvrlab-owner": "dvrlab:p/s" },
        });
        assert.deepEqual(parseBridge(row(["br-x", "", ["set", []], ["set", []], ["map", []]])), {
            name: "br-x",
            datapathType: "system",
            failMode: undefined,
            protocols: [],
            externalIds: {},
        });
        assert.deepEqual(
            parseBridge(row(["br-y", "system", "standalone", "OpenFlow13", ["map", []]]))!.protocols,
            ["OpenFlow13"],
            "a one-element set prints as its bare value (ovs-vsctl 3.1 does)",
        );
        assert.equal(parseBridge(JSON.stringify({ data: [], headings })), undefined);
        assert.equal(parseBridge(""), undefined);
        // failMode unset reads as OVS's default, standalone
        assert.equal(toInputs({ name: "br-x", datapathType: "system", protocols: [], externalIds: {} }, spec).failMode, "standalone");
        assert.equal(toInputs({ name: "br-x", datapathType: "system", protocols: [], externalIds: {} }, spec).owner, "");
        assert.deepEqual(conflicts({ name: "br-int", datapathType: "netdev", failMode: "secure", protocols: [], externalIds: {} }, spec, "netdev"), []);
    });
});
