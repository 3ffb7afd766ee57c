// Compile-time tests (checked by `tsc --noEmit` in `npm test`, never run): a resource's Args and
// Outputs are derived from its zod schema, so a field the schema lacks, a value of the wrong type
// or a missing required field fails the type check. Each `@ts-expect-error` must meet an error,
// so loosening the derivation (e.g. to `any`) fails `tsc` too.
import * as pulumi from "@pulumi/pulumi";
import { KindSpec, Outputs } from "../../provider/core/kind";
import { FlowEntry } from "../../provider/flowEntry/resource";
import { LinuxBridge, LinuxBridgeResourceArgs } from "../../provider/linuxBridge/resource";
import { ovsBridgeOutputs, ovsBridgeSchema } from "../../provider/ovsBridge/schema";
import { OvsPort } from "../../provider/ovsPort/resource";

const connection = { host: "192.0.2.1" };

export const ok: LinuxBridgeResourceArgs = { connection, name: "qbr-x", forwardDelay: pulumi.output(0) };
// @ts-expect-error a field the schema does not have
export const unknownField: LinuxBridgeResourceArgs = { connection, name: "qbr-x", forwardDelayy: 0 };
// @ts-expect-error a value of the wrong type
export const wrongType: LinuxBridgeResourceArgs = { connection, name: "qbr-x", stp: "no" };
// @ts-expect-error a required field left out
export const missing: LinuxBridgeResourceArgs = { connection };
// @ts-expect-error owner is the class's to set, never the user's
export const owner: LinuxBridgeResourceArgs = { connection, name: "qbr-x", owner: "dvrlab:p/s" };

export function outputs(b: LinuxBridge, p: OvsPort, f: FlowEntry): pulumi.Output<unknown>[] {
    const name: pulumi.Output<string> = b.name;
    const ofport: pulumi.Output<number> = p.ofport; // a host-computed output
    const cookie: pulumi.Output<string> = f.cookie; // derived by the class, still an output
    // @ts-expect-error an output the kind does not have
    const nope = b.ofport;
    // @ts-expect-error outputs keep their types
    const wrong: pulumi.Output<number> = b.name;
    return [name, ofport, cookie, nope, wrong];
}

// FlowEntry's cookie is required in the schema but derived by the class: optional in its args.
export const flow = new FlowEntry("f", { connection, bridge: "br-int", table: 0, priority: 1, actions: "drop" });

type OvsBridgeKind = KindSpec<typeof ovsBridgeSchema, Outputs<typeof ovsBridgeOutputs>>;
export const replaceOn: OvsBridgeKind["replaceOn"] = ["name"];
// @ts-expect-error replaceOn names schema fields only
export const badReplaceOn: OvsBridgeKind["replaceOn"] = ["nmae"];
// @ts-expect-error hostDefaults must be an input the host can also report as an output
export const badHostDefaults: OvsBridgeKind["hostDefaults"] = ["failMode"];
