import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { kinds, kindSpec } from "../../../provider/kinds";
import { provider } from "../../../provider/core/runtime";

// kinds.ts loads each kind on first use (require inside a function): nothing type-checks the
// module path or export name there, so this does.
describe("kind registry (lazy)", () => {
    for (const name of Object.keys(kinds)) {
        it(`${name} loads a spec of that kind`, () => {
            const spec = kindSpec(name)!;
            assert.equal(spec?.kind, name);
            assert.equal(typeof spec.read, "function");
        });
    }

    it("every provider folder with a kind.ts is registered", () => {
        const root = path.join(__dirname, "../../../provider");
        const withKind = fs.readdirSync(root).filter((d) => d !== "core" && fs.existsSync(path.join(root, d, "kind.ts")));
        const registered = Object.keys(kinds).map((k) => k[0].toLowerCase() + k.slice(1));
        assert.deepEqual(
            withKind.filter((d) => !registered.includes(d)),
            [],
        );
    });

    it("an unknown or inherited name is no kind", () => {
        assert.equal(kindSpec("toString"), undefined);
        assert.throws(() => provider("NoSuchKind", 1), /unknown resource kind NoSuchKind/);
    });
});
