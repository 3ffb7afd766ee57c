import { KindSpec, Outputs } from "../core/kind";
import { runPlan, showLinkJson } from "../core/hostops";
import { describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { linuxBridgeSchema, linuxBridgeOutputs } from "./schema";
import { BridgeState, parseLink, planConverge, planCreate, planDelete, showLink, toInputs } from "./planner";

async function current(ctx: Parameters<KindSpec<any>["create"]>[0], name: string): Promise<BridgeState | undefined> {
    const out = await showLinkJson(ctx.ex, ctx.conn, showLink(name));
    return out === undefined ? undefined : parseLink(out);
}

export const linuxBridgeKind: KindSpec<typeof linuxBridgeSchema, Outputs<typeof linuxBridgeOutputs>> = {
    kind: "LinuxBridge",
    version: 1,
    schema: linuxBridgeSchema,
    replaceOn: ["name"],
    deleteBeforeReplace: true,
    id: (b) => `${b.connection.host}/${b.name}`,

    async create(ctx, b) {
        const cur = await current(ctx, b.name);
        const where = `${b.name} on ${describe(ctx.conn)}`;
        if (cur) {
            if (!cur.isBridge) throw new Error(`LinuxBridge ${where}: a device of that name exists and is not a bridge`);
            // Ours (a run whose state was lost): converge; anyone else's, even identical, is refused.
            claim({
                where: `LinuxBridge ${where}`,
                exists: true,
                owner: cur.alias,
                want: b.owner,
                mark: "owner alias (ip link alias)",
                fix: `remove it (ip link del ${b.name}) or use another name`,
            });
            await runPlan(ctx.ex, ctx.conn, planConverge(cur, b));
            return {};
        }
        try {
            await runPlan(ctx.ex, ctx.conn, planCreate(b));
        } catch (e) {
            // Never leave a half-configured bridge behind.
            await runPlan(ctx.ex, ctx.conn, planDelete(b.name)).catch(() => undefined);
            throw e;
        }
        return {};
    },

    async read(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur || !cur.isBridge) return undefined;
        return toInputs(cur, olds);
    },

    async update(ctx, _id, _olds, b) {
        const cur = await current(ctx, b.name);
        if (!cur) {
            await runPlan(ctx.ex, ctx.conn, planCreate(b));
            return {};
        }
        if (cur.alias && cur.alias !== b.owner) throw new Error(`LinuxBridge ${b.name} on ${describe(ctx.conn)} belongs to ${cur.alias}`);
        await runPlan(ctx.ex, ctx.conn, planConverge(cur, b));
        return {};
    },

    async delete(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur) return; // already gone
        if (!cur.isBridge || cur.alias !== olds.owner) {
            throw new Error(
                `LinuxBridge ${olds.name} on ${describe(ctx.conn)}: not deleting, it is ${cur.isBridge ? `marked ${cur.alias ?? "(no owner)"}` : "not a bridge"}, not ${olds.owner}; ` +
                    "remove it by hand or `pulumi state delete` it",
            );
        }
        await runPlan(ctx.ex, ctx.conn, planDelete(olds.name));
    },
};
