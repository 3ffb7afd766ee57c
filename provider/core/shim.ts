import * as pulumi from "@pulumi/pulumi";

/** The interface between a state's shim and core/boot.js: `shimProvider(kind, SHIM_VERSION)`. */
export const SHIM_VERSION = 3;

/**
 * The module text stored as every dvrlab resource's `__provider`: Pulumi's dynamic-provider host
 * loads it with require-from-string and calls `handler()` for the provider object. It finds dvrlab
 * at run time (DVRLAB_ROOT, else up from the working directory: a checkout's provider/core/boot.js,
 * or an installed package's dist/provider/core/boot.js in a node_modules/dvrlab) and hands over to
 * it, so the implementation is never frozen into the state. Written by hand, not by Pulumi's closure serializer: 0.5 KB instead of
 * 3.7 KB, and it is stored twice per resource in a state a file backend rewrites after every step.
 * Older texts keep working from a checkout: shim 1 (test/fixtures/state-linuxbridge-shim1.json)
 * registers ts-node and calls runtime.provider(kind, 1) itself; shim 2 looked for provider/core/boot.js
 * only (a checkout; the package had no compiled form then).
 */
export function shimText(kind: string): string {
    if (!/^[A-Z][A-Za-z]+$/.test(kind)) throw new Error(`dvrlab: bad kind name ${JSON.stringify(kind)}`);
    return `// dvrlab ${kind} (provider/core/shim.ts)
exports.handler = () => {
  const path = require("path"), fs = require("fs"), c = ["provider/core/boot.js", "dist/provider/core/boot.js", "node_modules/dvrlab/dist/provider/core/boot.js"];
  let d = process.env.DVRLAB_ROOT || process.cwd(), f;
  while (!(f = c.map((r) => path.join(d, r)).find((p) => fs.existsSync(p))) && path.dirname(d) !== d) d = path.dirname(d);
  if (!f) throw new Error("dvrlab: cannot find dvrlab (node_modules/dvrlab, or a checkout) from " + process.cwd() + "; install it or set DVRLAB_ROOT");
  return require(f).shimProvider(${JSON.stringify(kind)}, ${SHIM_VERSION});
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
