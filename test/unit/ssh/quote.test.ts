import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { shellJoin } from "../../../provider/ssh/quote";

describe("shellJoin", () => {
    const hostile = ["a b;rm -rf /", "$(x)", "`id`", "it's", 'say "hi"', "line1\nline2", "*", "~root", "a\\b", "-n", "", "$HOME", "x|y&z>w<v"];

    it("passes every hostile argument literally through a real shell", () => {
        const line = shellJoin(["printf", "%s\\0", ...hostile]);
        const out = execFileSync("sh", ["-c", line], { encoding: "utf8" });
        assert.deepEqual(out.split("\0").slice(0, -1), hostile);
    });

    it("refuses NUL bytes and empty commands", () => {
        assert.throws(() => shellJoin(["echo", "a\0b"]), /NUL/);
        assert.throws(() => shellJoin([]), /empty/);
    });
});
