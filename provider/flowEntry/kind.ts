import { KindSpec, Outputs } from "../core/kind";
import { bridgeFlows } from "./batcher";
import { findOurs, toInputs } from "./planner";
import { flowEntrySchema, flowEntryOutputs } from "./schema";

// Every operation goes through the bridge's batcher: reads share dumps, writes share batches.
export const flowEntryKind: KindSpec<typeof flowEntrySchema, Outputs<typeof flowEntryOutputs>> = {
    kind: "FlowEntry",
    version: 1,
    schema: flowEntrySchema,
    // OpenFlow identifies a flow by table, priority and match, and a modify keeps the timeouts:
    // only the actions change in place.
    replaceOn: ["bridge", "table", "priority", "match", "idleTimeout", "hardTimeout", "cookie"],
    // Old and new carry the same cookie (it comes from the name), and the same identity would
    // make OVS replace one by the other: delete first.
    deleteBeforeReplace: true,
    id: (f) => `${f.connection.host}/${f.bridge}/${f.cookie}`,

    async create(ctx, f) {
        const got = await bridgeFlows(ctx.ex, ctx.conn, f.bridge).submit({ type: "ensure", spec: f });
        return { ovsMatch: got!.match, ovsActions: got!.actions };
    },

    async read(ctx, _id, olds) {
        const flows = await bridgeFlows(ctx.ex, ctx.conn, olds.bridge).dump();
        const f = flows && findOurs(flows, olds.cookie, { table: olds.table, priority: olds.priority, match: olds.ovsMatch });
        if (!f) return undefined;
        return toInputs(f, olds);
    },

    async update(ctx, _id, olds, f) {
        const got = await bridgeFlows(ctx.ex, ctx.conn, f.bridge).submit({ type: "ensure", spec: f, storedMatch: olds.ovsMatch });
        return { ovsMatch: got!.match, ovsActions: got!.actions };
    },

    async delete(ctx, _id, olds) {
        // Scoped to our cookie: a flow someone else re-made with the same match is not touched.
        await bridgeFlows(ctx.ex, ctx.conn, olds.bridge).submit({ type: "delete", cookie: olds.cookie });
    },
};
