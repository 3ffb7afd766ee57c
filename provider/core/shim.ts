import * as pulumi from "@pulumi/pulumi";

/** The interface between a state's shim and provider/core/runtime.ts: `provider(kind, SHIM_VERSION)` and `configure(config)`. */
export const SHIM_VERSION = 1;

/**
 * The module text stored as every dynamic resource's `__provider`: Pulumi's dynamic-provider host
 * loads it with require-from-string and calls `handler()` for the provider object. It finds the
 * installed dvrlab at run time (DVRLAB_ROOT, else up from the working directory: the repository or
 * a node_modules/dvrlab) and delegates to provider/core/runtime.ts, so the implementation is never
 * frozen into the state. Written by hand, not by Pulumi's closure serializer (3.7 KB per copy with a
 * wrapper per method, two copies per resource, and the whole state is rewritten at every checkpoint
 * of a file backend): ~1 KB. The text must keep working from old states, so runtime keeps accepting
 * SHIM_VERSION 1; states written with the serialized shim (test/fixtures/state-linuxbridge-shim1.json)
 * load the same runtime the same way.
 */
export function shimText(kind: string): string {
    if (!/^[A-Z][A-Za-z]+$/.test(kind)) throw new Error(`dvrlab: bad kind name ${JSON.stringify(kind)}`);
    return `// dvrlab ${kind} (provider/core/shim.ts)
exports.handler = () => {
  const g = globalThis;
  const load = () => {
    if (g.__dvrlabRuntime) return g.__dvrlabRuntime;
    const path = require("path"), fs = require("fs");
    let root = process.env.DVRLAB_ROOT;
    for (let d = process.cwd(); !root; d = path.dirname(d)) {
      for (const c of [d, path.join(d, "node_modules", "dvrlab")]) {
        try { if (!root && JSON.parse(fs.readFileSync(path.join(c, "package.json"), "utf8")).name === "dvrlab") root = c; } catch (e) {}
      }
      if (!root && path.dirname(d) === d) throw new Error("dvrlab: cannot find the dvrlab package from " + process.cwd() + "; set DVRLAB_ROOT");
    }
    if (!require.extensions[".ts"]) require(require.resolve("ts-node", { paths: [root] })).register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    return (g.__dvrlabRuntime = require(path.join(root, "provider", "core", "runtime")));
  };
  const o = { configure: async (req) => load().configure(req.config) };
  for (const m of ["check", "diff", "create", "read", "update", "delete"]) o[m] = async (...a) => load().provider(${JSON.stringify(kind)}, ${SHIM_VERSION})[m](...a);
  return o;
};
`;
}

/**
 * Base of every dvrlab resource: a dynamic resource (type pulumi-nodejs:dynamic/dvrlab:<kind>,
 * served by Pulumi's nodejs dynamic-provider host, as pulumi.dynamic.Resource would make it) whose
 * `__provider` is shimText(kind).
 */
export abstract class DvrlabResource extends pulumi.CustomResource {
    constructor(kind: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        if ("__provider" in props) throw new Error("a dvrlab resource must not set __provider");
        super(`pulumi-nodejs:dynamic/dvrlab:${kind}`, name, { ...props, __provider: shimText(kind) }, opts);
    }
}

/** "dvrlab:<project>/<stack>": the ownership marker written next to what a stack creates. */
export function stackOwner(): string {
    return `dvrlab:${pulumi.getProject()}/${pulumi.getStack()}`;
}
