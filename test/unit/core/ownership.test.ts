import { strict as assert } from "assert";
import { claim } from "../../../provider/core/ownership";

describe("ownership: what create does with an object found under its name", () => {
    const found = { where: "OvsPort qvo-x on root@10.0.0.1:22", want: "dvrlab:p/s", mark: "external_ids:dvrlab-owner", fix: "remove it" };

    it("absent: create; marked ours (state lost, run interrupted): converge; unmarked and adopt asked: adopt", () => {
        assert.equal(claim({ ...found, exists: false }), "create");
        assert.equal(claim({ ...found, exists: true, owner: "dvrlab:p/s" }), "converge");
        assert.equal(claim({ ...found, exists: true, adopt: true }), "adopt");
    });

    it("refuses another stack's, and an unmarked one not asked to adopt, naming host, object, mark and the way out", () => {
        assert.throws(() => claim({ ...found, exists: true, owner: "dvrlab:p/other", adopt: true }), {
            message: "OvsPort qvo-x on root@10.0.0.1:22: exists and belongs to dvrlab:p/other",
        });
        assert.throws(() => claim({ ...found, exists: true }), {
            message:
                "OvsPort qvo-x on root@10.0.0.1:22: exists and dvrlab did not create it (no external_ids:dvrlab-owner); dvrlab does not take it over: remove it",
        });
        assert.throws(() => claim({ ...found, exists: true, owner: "", adopt: false }), /dvrlab did not create it/);
    });
});
