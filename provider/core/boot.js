// The provider process's entry: the shim stored in every resource's __provider (core/shim.ts)
// finds this file and calls shimProvider(kind, version). Plain JavaScript, because it installs the
// loader for dvrlab's TypeScript: every dvrlab .ts file is transpiled by ts-node once per content
// and read back from a disk cache (<repo>/.cache/ts) after that, so a process whose modules are all
// cached never loads ts-node or TypeScript (~0.2 s of every refresh's provider start-up). Keyed by
// the versions of TypeScript, ts-node and node, tsconfig.json, path and source text: an edited file
// is a miss, never a stale hit. DVRLAB_TS_CACHE=0 turns the cache off (plain ts-node).
// In the compiled package (dist/, no runtime.ts next to this file) there is nothing to transpile:
// it installs nothing, and ./runtime is the compiled JavaScript.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..", "..");
const MARK = "__dvrlabTranspileCache";

const fromRoot = (id) => require.resolve(id, { paths: [root] });
const tsConfig = path.join(root, "tsconfig.json");
const TS_NODE = { transpileOnly: true, project: tsConfig };
const registeredTsNode = () => process[Symbol.for("ts-node.register.instance")];

// ts-node, only on a cache miss: the one this process registered (a program, a test run, a state
// written by shim 1, which registers it itself), else a private instance that hooks nothing.
let service;
function tsNode() {
    if (!service) service = registeredTsNode() || require(fromRoot("ts-node")).create(TS_NODE);
    return service;
}

// A process that registered ts-node itself compiles with that instance's options: its own keys.
function salt() {
    const version = (id) => JSON.parse(fs.readFileSync(fromRoot(`${id}/package.json`), "utf8")).version;
    const registered = registeredTsNode();
    return crypto
        .createHash("sha256")
        .update(
            JSON.stringify([
                version("typescript"),
                version("ts-node"),
                process.version.split(".")[0],
                fs.readFileSync(tsConfig, "utf8"),
                registered ? registered.config.options : "own",
            ]),
        )
        .digest("hex");
}

function install() {
    if (!fs.existsSync(path.join(__dirname, "runtime.ts"))) return;
    const previous = require.extensions[".ts"];
    if (previous && previous[MARK]) return;
    if (process.env.DVRLAB_TS_CACHE === "0") {
        if (!previous) require(fromRoot("ts-node")).register(TS_NODE);
        return;
    }
    const dir = path.join(root, ".cache", "ts");
    const key = salt();
    // Stack traces: the compiled text carries ts-node's inline source map; this serves it to
    // source-map-support for every module loaded here (ts-node's own handler knows only what it compiled).
    const served = new Map();
    try {
        require(require.resolve("@cspotcode/source-map-support", { paths: [fromRoot("ts-node")] })).install({
            environment: "node",
            retrieveFile: (p) => served.get(p.startsWith("file://") ? new URL(p).pathname : p) || "",
        });
    } catch {
        /* no source maps for these modules: still correct */
    }
    const inRepo = (f) => f.startsWith(root + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`);
    const hook = function (m, filename) {
        if (!inRepo(filename) && previous) return previous(m, filename);
        const src = fs.readFileSync(filename, "utf8");
        const file = path.join(dir, `${crypto.createHash("sha256").update(key).update("\0").update(filename).update("\0").update(src).digest("hex")}.js`);
        let js;
        try {
            js = fs.readFileSync(file, "utf8");
        } catch {
            js = tsNode().compile(src, filename);
            try {
                fs.mkdirSync(dir, { recursive: true });
                const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
                fs.writeFileSync(tmp, js);
                fs.renameSync(tmp, file); // atomic: a concurrent reader sees all of it or nothing
            } catch {
                /* a read-only checkout: no cache, still correct */
            }
        }
        served.set(filename, js);
        m._compile(js, filename);
    };
    hook[MARK] = true;
    require.extensions[".ts"] = hook;
}

install();

/**
 * The provider object the shim hands to Pulumi's dynamic-provider host: configure, then the kind's
 * methods from runtime.ts (whose provider() refuses a shim newer than RUNTIME_VERSION).
 */
function shimProvider(kind, shimVersion) {
    const runtime = require("./runtime");
    const p = {
        configure: async (req) => runtime.configure(req.config),
    };
    for (const m of ["check", "diff", "create", "read", "update", "delete"]) p[m] = async (...a) => runtime.provider(kind, shimVersion)[m](...a);
    return p;
}

module.exports = { shimProvider };
