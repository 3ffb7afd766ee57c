// The __provider text every resource stores: Pulumi's dynamic-provider host loads it with
// require-from-string and calls handler(); it must find dvrlab and delegate to the runtime.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../../helpers/pulumi";
import { shimText } from "../../../provider/core/shim";

// The host's own loader (a dependency of @pulumi/pulumi), in a fresh node process: cwd and env as given.
function loadIn(cwd: string, env: NodeJS.ProcessEnv, kind: string, call: string) {
    const script = `
        const requireFromString = require(${JSON.stringify(require.resolve("require-from-string", { paths: [path.join(repoRoot, "node_modules/@pulumi/pulumi")] }))});
        const p = requireFromString(process.env.SHIM).handler();
        (async () => {
            const r = await (${call});
            const typescript = Object.keys(require.cache).some((f) => f.includes("/node_modules/typescript/"));
            process.stdout.write(JSON.stringify({ ...r, typescript }));
        })().catch((e) => { process.stdout.write("ERR " + e.message); });`;
    return spawnSync(process.execPath, ["-e", script], {
        cwd,
        env: { PATH: process.env.PATH, ...env, SHIM: shimText(kind) },
        encoding: "utf8",
        timeout: 60_000,
    });
}

describe("provider shim (core/shim.ts)", function () {
    this.timeout(60_000);

    it("is small, names its kind and is the same text for every resource of a kind", () => {
        const t = shimText("FlowEntry");
        assert.ok(t.length < 700, `${t.length} bytes`);
        assert.match(t, /shimProvider\("FlowEntry", 3\)/);
        assert.equal(shimText("FlowEntry"), t);
        assert.throws(() => shimText('x"); process.exit(1); ("'), /bad kind name/);
    });

    it("from a directory inside the repository, check runs the kind's real validation", () => {
        const r = loadIn(
            path.join(repoRoot, "stacks"),
            {},
            "LinuxBridge",
            `p.check({}, { name: "bad name!", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y" })`,
        );
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.ok(
            out.failures.some((f: any) => f.property === "name"),
            r.stdout,
        );
    });

    it("once its modules are in the transpile cache, a provider process never loads TypeScript", () => {
        const call = `p.check({}, { name: "dvrlt-x", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y" })`;
        loadIn(repoRoot, {}, "LinuxBridge", call); // fills the cache if this checkout's sources are new to it
        const r = loadIn(repoRoot, {}, "LinuxBridge", call);
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.deepEqual(out.failures ?? [], []);
        assert.equal(out.typescript, false, "typescript was loaded");
        const off = JSON.parse(loadIn(repoRoot, { DVRLAB_TS_CACHE: "0" }, "LinuxBridge", call).stdout);
        assert.equal(off.typescript, true, "DVRLAB_TS_CACHE=0: plain ts-node");
    });

    it("elsewhere, DVRLAB_ROOT says where dvrlab is; without it the error says what to set", () => {
        const r = loadIn(
            os.tmpdir(),
            { DVRLAB_ROOT: repoRoot },
            "FlowEntry",
            `p.check({}, { bridge: "br-int", table: 0, priority: 1, actions: "", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y", cookie: "0x1" })`,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.ok(
            JSON.parse(r.stdout).failures.some((f: any) => f.property === "actions"),
            r.stdout,
        );
        const lost = loadIn(os.tmpdir(), {}, "FlowEntry", `p.check({}, {})`);
        assert.notEqual(lost.status, 0);
        assert.match(lost.stderr, /Error: dvrlab: cannot find dvrlab \(node_modules\/dvrlab, or a checkout\) from .*; install it or set DVRLAB_ROOT\n/);
    });

    it("in a user's project, finds the installed package's compiled boot in the nearest node_modules/dvrlab", () => {
        // A stand-in package whose boot reports which file the shim chose and the version it passed.
        const proj = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-shim-"));
        try {
            const boot = path.join(proj, "node_modules/dvrlab/dist/provider/core/boot.js");
            fs.mkdirSync(path.dirname(boot), { recursive: true });
            fs.writeFileSync(boot, "exports.shimProvider = (kind, v) => ({ check: async () => ({ file: __filename, kind, v }) });");
            const sub = path.join(proj, "src", "deep");
            fs.mkdirSync(sub, { recursive: true });
            const r = loadIn(sub, {}, "OvsPort", "p.check()");
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(JSON.parse(r.stdout), { file: boot, kind: "OvsPort", v: 3, typescript: false });
        } finally {
            fs.rmSync(proj, { recursive: true, force: true });
        }
    });
});
