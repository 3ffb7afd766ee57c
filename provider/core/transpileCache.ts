// A disk cache of transpiled dvrlab modules for the provider process. The shim registers ts-node
// (transpile only) and requires runtime.ts, which imports this module first: from then on every
// dvrlab .ts file is compiled by ts-node once per content and read back as JavaScript after that.
// Transpiling costs a cold TypeScript compiler ~10-50 ms per module, most of a refresh's provider
// start-up. Keyed by TypeScript version, compiler options, path and source text: an edited file is
// a miss, never a stale hit. Off with DVRLAB_TS_CACHE=0; the cache lives in <repo>/.cache/ts.
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..");
const MARK = "__dvrlabTranspileCache";

function install(): void {
    if (process.env.DVRLAB_TS_CACHE === "0") return;
    const service = (process as any)[Symbol.for("ts-node.register.instance")];
    const tsHook = require.extensions[".ts"] as any;
    if (!service?.compile || !tsHook || tsHook[MARK]) return;
    const dir = path.join(root, ".cache", "ts");
    const salt = createHash("sha256")
        .update(JSON.stringify([service.ts?.version, service.config?.options, process.version.split(".")[0]]))
        .digest("hex");
    // Stack traces: ts-node's source-map-support only knows what ts-node compiled itself; this
    // handler serves the cached output (it carries ts-node's inline source map) for the rest.
    const served = new Map<string, string>();
    try {
        require(require.resolve("@cspotcode/source-map-support", { paths: [require.resolve("ts-node")] })).install({
            environment: "node",
            retrieveFile: (p: string) => served.get(p.startsWith("file://") ? new URL(p).pathname : p) ?? "",
        });
    } catch {
        /* no source maps for cached modules: still correct */
    }
    const inRepo = (f: string) => f.startsWith(root + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`);
    const hook = function (m: any, filename: string) {
        if (!inRepo(filename)) return tsHook(m, filename);
        let src: string;
        try {
            src = fs.readFileSync(filename, "utf8");
        } catch {
            return tsHook(m, filename);
        }
        const file = path.join(dir, `${createHash("sha256").update(salt).update("\0").update(filename).update("\0").update(src).digest("hex")}.js`);
        let js: string | undefined;
        try {
            js = fs.readFileSync(file, "utf8");
        } catch {
            js = service.compile(src, filename) as string;
            try {
                fs.mkdirSync(dir, { recursive: true });
                const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
                fs.writeFileSync(tmp, js);
                fs.renameSync(tmp, file); // atomic: a concurrent reader sees all of it or nothing
            } catch {
                /* a read-only checkout: no cache, still correct */
            }
        }
        served.set(filename, js);
        m._compile(js, filename);
    };
    (hook as any)[MARK] = true;
    require.extensions[".ts"] = hook;
}

install();
