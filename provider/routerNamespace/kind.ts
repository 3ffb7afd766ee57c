import { KindSpec, OpContext, Outputs } from "../core/kind";
import { runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { routerNamespaceSchema, RouterNamespaceSpec, routerNamespaceOutputs } from "./schema";
import { NamespaceState, parseNamespace, planConverge, planCreate, planDelete, showNamespace, toInputs } from "./planner";

async function current(ctx: OpContext, name: string): Promise<NamespaceState | undefined> {
    return parseNamespace(await check(ctx.ex, ctx.conn, showNamespace(name)));
}

const where = (ctx: OpContext, p: Pick<RouterNamespaceSpec, "name">) => `RouterNamespace ${p.name} on ${describe(ctx.conn)}`;

export const routerNamespaceKind: KindSpec<typeof routerNamespaceSchema, Outputs<typeof routerNamespaceOutputs>> = {
    kind: "RouterNamespace",
    version: 1,
    schema: routerNamespaceSchema,
    // Sysctls change in place; a namespace is its name.
    replaceOn: ["name"],
    deleteBeforeReplace: true,
    id: (p) => `${p.connection.host}/netns/${p.name}`,

    async create(ctx, p) {
        const cur = await current(ctx, p.name);
        if (cur) {
            // Even an empty unmarked namespace is someone's (a router whose ports come later).
            claim({
                where: where(ctx, p),
                exists: true,
                owner: cur.owner,
                want: p.owner,
                mark: "owner alias on its lo",
                fix: `remove it (ip netns delete ${p.name}${cur.devices.length ? `, it holds ${cur.devices.map((d) => d.name).join(", ")}` : ""}) or use another router id`,
            });
            await runPlan(ctx.ex, ctx.conn, planConverge(cur, p));
            return {};
        }
        try {
            await runPlan(ctx.ex, ctx.conn, planCreate(p));
        } catch (e) {
            await runPlan(ctx.ex, ctx.conn, planDelete(p.name, [])).catch(() => undefined);
            throw e;
        }
        return {};
    },

    async read(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        return cur && toInputs(cur, olds);
    },

    async update(ctx, _id, olds, p) {
        const cur = await current(ctx, p.name);
        if (!cur) {
            // deleted by hand: make it again (its ports are repaired by their own resources)
            await runPlan(ctx.ex, ctx.conn, planCreate(p));
            return {};
        }
        if (cur.owner && cur.owner !== olds.owner && cur.owner !== p.owner) throw new Error(`${where(ctx, p)}: belongs to ${cur.owner}`);
        await runPlan(ctx.ex, ctx.conn, planConverge(cur, p));
        return {};
    },

    async delete(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur) return;
        if (cur.owner !== olds.owner)
            throw new Error(`${where(ctx, olds)}: not deleting, it is owned by ${cur.owner ?? "nobody (unmanaged)"}, not ${olds.owner}`);
        const foreign = cur.devices.filter((d) => d.owner !== olds.owner);
        if (foreign.length) {
            throw new Error(`${where(ctx, olds)}: not deleting, it still holds ${foreign.map((d) => d.name).join(", ")}, not ours: move or delete them first`);
        }
        await runPlan(
            ctx.ex,
            ctx.conn,
            planDelete(
                olds.name,
                cur.devices.map((d) => d.name),
            ),
        );
    },
};
