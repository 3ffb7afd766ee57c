import { KindSpec, OpContext, Outputs } from "../core/kind";
import { check, describe } from "../ssh/executor";
import { staticNeighborsSchema, StaticNeighborsSpec, NeighborEntry, staticNeighborsOutputs } from "./schema";
import { foreignConflicts, NeighborState, parseNeighbors, permanentAmong, planChange, showNeighbors } from "./planner";

const where = (ctx: OpContext, p: Pick<StaticNeighborsSpec, "namespace" | "device">) =>
    `StaticNeighbors on ${p.device}${p.namespace ? ` in ${p.namespace}` : ""} on ${describe(ctx.conn)}`;

async function current(ctx: OpContext, p: Pick<StaticNeighborsSpec, "namespace" | "device">): Promise<NeighborState> {
    return parseNeighbors(await check(ctx.ex, ctx.conn, showNeighbors(p)));
}

/** Applies the change from `ours` (what we set before) to `p.entries`, refusing others' entries. */
async function converge(ctx: OpContext, p: StaticNeighborsSpec, ours: NeighborEntry[]): Promise<{}> {
    const st = await current(ctx, p);
    if (!st.namespace) throw new Error(`${where(ctx, p)}: namespace ${p.namespace} does not exist`);
    if (!st.device) throw new Error(`${where(ctx, p)}: device ${p.device} does not exist`);
    const bad = foreignConflicts(st, p.entries, ours);
    if (bad.length) throw new Error(`${where(ctx, p)}: not ours to replace: ${bad.join("; ")}`);
    const change = planChange(p, st, p.entries, ours);
    if (change) await check(ctx.ex, ctx.conn, change.argv, { stdin: change.stdin });
    return {};
}

export const staticNeighborsKind: KindSpec<typeof staticNeighborsSchema, Outputs<typeof staticNeighborsOutputs>> = {
    kind: "StaticNeighbors",
    version: 1,
    schema: staticNeighborsSchema,
    // Entries change in place, exactly the changed ones; another device is another set.
    replaceOn: ["namespace", "device"],
    deleteBeforeReplace: false,
    id: (p) => `${p.connection.host}/${p.namespace ?? ""}/${p.device}/neigh`,

    async create(ctx, p) {
        // identical permanent entries are adopted; others' (another MAC) refused
        return converge(ctx, p, []);
    },

    async read(ctx, _id, olds) {
        const st = await current(ctx, olds);
        // the entries go with their device (a RouterPort replaced, a namespace deleted)
        if (!st.namespace || !st.device) return undefined;
        return {
            ...olds,
            entries: permanentAmong(
                st,
                olds.entries.map((e) => e.ip),
            ),
        };
    },

    async update(ctx, _id, olds, p) {
        return converge(ctx, p, olds.entries);
    },

    async delete(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!st.namespace || !st.device) return;
        const change = planChange(olds, st, [], olds.entries);
        if (change) await check(ctx.ex, ctx.conn, change.argv, { stdin: change.stdin });
    },
};
