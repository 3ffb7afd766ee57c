import { KindSpec, OpContext, Outputs } from "../core/kind";
import { check } from "../ssh/executor";
import { hasKernelDatapath, runPlan } from "../core/hostops";
import { describe } from "../ssh/executor";
import { OWNER_KEY } from "../ovs/vsctl";
import { ovsBridgeSchema, OvsBridgeSpec, ovsBridgeOutputs } from "./schema";
import { ADOPTED_KEY, conflicts, findBridge, parseBridge, planAdopt, planConverge, planCreate, planDelete, planRelease, toInputs } from "./planner";

async function current(ctx: OpContext, name: string) {
    return parseBridge(await check(ctx.ex, ctx.conn, findBridge(name)));
}

async function datapathFor(ctx: OpContext, b: OvsBridgeSpec): Promise<string> {
    if (b.datapathType) return b.datapathType;
    return (await hasKernelDatapath(ctx.ex, ctx.conn)) ? "system" : "netdev";
}

export const ovsBridgeKind: KindSpec<typeof ovsBridgeSchema, Outputs<typeof ovsBridgeOutputs>> = {
    kind: "OvsBridge",
    version: 1,
    schema: ovsBridgeSchema,
    replaceOn: ["name"],
    deleteBeforeReplace: true,
    hostDefaults: ["datapathType"],
    id: (b) => `${b.connection.host}/${b.name}`,

    async create(ctx, b) {
        const dp = await datapathFor(ctx, b);
        const cur = await current(ctx, b.name);
        const where = `OvsBridge ${b.name} on ${describe(ctx.conn)}`;
        if (cur) {
            const own = cur.externalIds[OWNER_KEY];
            if (own && own !== b.owner) throw new Error(`${where}: exists and belongs to ${own}`);
            if (!own) {
                // Not ours (a Neutron/OVN node's br-int): never stamped silently, or destroy would delete the host's bridge.
                if (!b.adopt) {
                    const diff = conflicts(cur, b, dp);
                    throw new Error(
                        `${where}: a bridge of that name exists that dvrlab did not create${diff.length ? ` (differing: ${diff.join(", ")})` : ""}; ` +
                            "set adopt: true to use it (destroy then leaves it, removing only what dvrlab added) or remove it",
                    );
                }
                await runPlan(ctx.ex, ctx.conn, planAdopt(cur, b, dp));
            } else await runPlan(ctx.ex, ctx.conn, planConverge(cur, b, dp));
        } else {
            await runPlan(ctx.ex, ctx.conn, planCreate(b, dp));
        }
        return { datapathType: dp as any };
    },

    async read(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        return cur ? toInputs(cur, olds) : undefined;
    },

    async update(ctx, _id, _olds, b) {
        const dp = await datapathFor(ctx, b);
        const cur = await current(ctx, b.name);
        if (!cur) {
            await runPlan(ctx.ex, ctx.conn, planCreate(b, dp));
        } else {
            const own = cur.externalIds[OWNER_KEY];
            if (own && own !== b.owner) throw new Error(`OvsBridge ${b.name} on ${describe(ctx.conn)} belongs to ${own}`);
            await runPlan(ctx.ex, ctx.conn, planConverge(cur, b, dp));
        }
        return { datapathType: dp as any };
    },

    async delete(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur) return;
        const own = cur.externalIds[OWNER_KEY];
        if (own !== olds.owner) {
            throw new Error(`OvsBridge ${olds.name} on ${describe(ctx.conn)}: not deleting, it is owned by ${own ?? "nobody (unmanaged)"}, not ${olds.owner}`);
        }
        // Adopted: the host's bridge stays with its ports and flows (ours are resources of their own).
        if (cur.externalIds[ADOPTED_KEY] === "true") await runPlan(ctx.ex, ctx.conn, planRelease(olds.name));
        else await runPlan(ctx.ex, ctx.conn, planDelete(olds.name));
    },
};
