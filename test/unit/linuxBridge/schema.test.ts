import { strict as assert } from "assert";
import { providerFor } from "../../../provider/core/kind";
import { linuxBridgeKind } from "../../../provider/linuxBridge/kind";
import { refusesEach } from "../../helpers/checkCases";

// check() must name the bad field and never touch a host: the executor here throws if used.
const noHost = () => {
    throw new Error("check touched a host");
};
const p = providerFor(linuxBridgeKind, noHost as any);
const good = { connection: { host: "10.0.0.1" }, owner: "dvrlab:p/s", name: "qbr-cirros" };

describe("LinuxBridge check and diff", () => {
    it("accepts the seed's bridge and keeps the user's form", async () => {
        const r = await p.check({}, { ...good, __provider: "x" });
        assert.equal(r.failures, undefined);
        assert.equal(r.inputs.__provider, "x");
    });

    const bad: [string, any, string][] = [
        ["name", { name: "qbr-0123456789abc" }, "15"],
        ["name", { name: "qbr;rm -rf /" }, "letters"],
        ["name", { name: "a b" }, "letters"],
        ["name", { name: "$(x)" }, "letters"],
        ["forwardDelay", { stp: true, forwardDelay: 0 }, "stp"],
        ["forwardDelay", { forwardDelay: 31 }, ""],
        ["connection.host", { connection: { host: "h;x" } }, "host"],
        ["connection.port", { connection: { host: "h", port: 0 } }, ""],
        ["connection.keyRef", { connection: { host: "h", keyRef: "../key" } }, "config key"],
        ["owner", { owner: "someone" }, "dvrlab"],
    ];
    refusesEach(() => p, good, bad);

    it("diff: settings update in place, a new name replaces (delete first), same inputs no change", async () => {
        const olds = { ...good, stp: false, forwardDelay: 0, multicastSnooping: false, up: true, dvrlabVersion: 1, __provider: "a" };
        assert.deepEqual(await p.diff("id", olds, { ...good, __provider: "b" }), { changes: false, replaces: [], deleteBeforeReplace: false });
        const d1 = await p.diff("id", olds, { ...good, multicastSnooping: true });
        assert.deepEqual(d1, { changes: true, replaces: [], deleteBeforeReplace: false });
        const d2 = await p.diff("id", olds, { ...good, name: "qbr-other" });
        assert.deepEqual(d2, { changes: true, replaces: ["name"], deleteBeforeReplace: true });
        const d3 = await p.diff("id", olds, { ...good, connection: { host: "10.0.0.2" } });
        assert.deepEqual(d3.replaces, ["connection"]);
    });
});
