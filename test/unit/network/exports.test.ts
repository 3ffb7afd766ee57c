import { strict as assert } from "assert";
import * as api from "../../../provider";
import { kinds } from "../../../provider/kinds";

// The package's main (dist/provider/index.js when installed): what `import { … } from "dvrlab"` gives.
describe("dvrlab's public API (provider/index.ts)", () => {
    it("exports a class for every resource kind the runtime serves", () => {
        const missing = Object.keys(kinds).filter((k) => typeof (api as any)[k] !== "function");
        assert.deepEqual(missing, []);
        assert.equal(Object.keys(kinds).length, 15);
    });

    it("exports DvrNetwork, the topology schema and resolver, and the flow intents", () => {
        for (const k of ["DvrNetwork", "DvrHost", "TunnelMesh", "DistributedRouter", "DhcpAgent", "VmPort", "parseTopology", "resolve", "readGuestManifest"]) {
            assert.equal(typeof (api as any)[k], "function", k);
        }
        assert.equal(typeof api.topologySchema.safeParse, "function");
        assert.equal(typeof api.brTun.floodToTun, "function");
        assert.equal(typeof api.brInt.arpSpoofRedirect, "function");
    });
});
