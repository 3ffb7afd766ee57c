// The __provider text every resource stores: Pulumi's dynamic-provider host loads it with
// require-from-string and calls handler(); it must find dvrlab and delegate to the runtime.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../../helpers/pulumi";
import { shimText } from "../../../provider/core/shim";

// The host's own loader (a dependency of @pulumi/pulumi), in a fresh node process: cwd and env as given.
function loadIn(cwd: string, env: NodeJS.ProcessEnv, kind: string, call: string) {
    const script = `
        const requireFromString = require(${JSON.stringify(require.resolve("require-from-string", { paths: [path.join(repoRoot, "node_modules/@pulumi/pulumi")] }))});
        const p = requireFromString(process.env.SHIM).handler();
        (async () => { process.stdout.write(JSON.stringify(await (${call}))); })().catch((e) => { process.stdout.write("ERR " + e.message); });`;
    return spawnSync(process.execPath, ["-e", script], { cwd, env: { PATH: process.env.PATH, ...env, SHIM: shimText(kind) }, encoding: "utf8", timeout: 60_000 });
}

describe("provider shim (core/shim.ts)", function () {
    this.timeout(60_000);

    it("is small, names its kind and is the same text for every resource of a kind", () => {
        const t = shimText("FlowEntry");
        assert.ok(t.length < 1300, `${t.length} bytes`);
        assert.match(t, /provider\("FlowEntry", 1\)/);
        assert.equal(shimText("FlowEntry"), t);
        assert.throws(() => shimText('x"); process.exit(1); ("'), /bad kind name/);
    });

    it("from a directory inside the repository, check runs the kind's real validation", () => {
        const r = loadIn(path.join(repoRoot, "stacks"), {}, "LinuxBridge", `p.check({}, { name: "bad name!", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y" })`);
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.ok(out.failures.some((f: any) => f.property === "name"), r.stdout);
    });

    it("elsewhere, DVRLAB_ROOT says where dvrlab is; without it the error says what to set", () => {
        const r = loadIn(os.tmpdir(), { DVRLAB_ROOT: repoRoot }, "FlowEntry", `p.check({}, { bridge: "br-int", table: 0, priority: 1, actions: "", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y", cookie: "0x1" })`);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(JSON.parse(r.stdout).failures.some((f: any) => f.property === "actions"), r.stdout);
        const lost = loadIn(os.tmpdir(), {}, "FlowEntry", `p.check({}, {})`);
        assert.match(lost.stdout, /^ERR dvrlab: cannot find the dvrlab package from .*; set DVRLAB_ROOT$/);
    });
});

