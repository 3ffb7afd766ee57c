import { KindSpec, OpContext, Outputs } from "../core/kind";
import { pollUntil, runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { OWNER_KEY } from "../ovs/vsctl";
import { ovsPortSchema, OvsPortSpec, ovsPortOutputs } from "./schema";
import { ovsOptions, parsePort, planConverge, planCreate, planDelete, PortState, showPort, toInputs } from "./planner";
import { isDeepStrictEqual } from "util";

async function current(ctx: OpContext, name: string): Promise<PortState | undefined> {
    return parsePort(await check(ctx.ex, ctx.conn, showPort(name)));
}

const OFPORT_WAIT_MS = 10_000;

/** Bounded poll until OVS assigned an OpenFlow port number (flows need it). */
async function waitOfport(ctx: OpContext, p: OvsPortSpec): Promise<number> {
    const cur = await pollUntil(
        () => current(ctx, p.name),
        (c) => c?.ofport !== undefined,
        OFPORT_WAIT_MS,
        100,
        (c) => `OvsPort ${p.name} on ${describe(ctx.conn)}: no OpenFlow port after ${OFPORT_WAIT_MS} ms${c?.error ? `: ${c.error}` : ""}`,
    );
    return cur!.ofport!;
}

function conflicts(cur: PortState, p: OvsPortSpec): string[] {
    const out: string[] = [];
    if (cur.bridge !== p.bridge) out.push(`on bridge ${cur.bridge} (want ${p.bridge})`);
    if (cur.type !== p.type) out.push(`type ${cur.type} (want ${p.type})`);
    if (cur.tag !== p.tag) out.push(`tag ${cur.tag ?? "none"} (want ${p.tag ?? "none"})`);
    if (!isDeepStrictEqual(cur.options, ovsOptions(p))) out.push(`options ${JSON.stringify(cur.options)} (want ${JSON.stringify(ovsOptions(p))})`);
    return out;
}

export const ovsPortKind: KindSpec<typeof ovsPortSchema, Outputs<typeof ovsPortOutputs>> = {
    kind: "OvsPort",
    version: 1,
    schema: ovsPortSchema,
    // A tag, options or ofport_request change updates in place; a new name, bridge or type is a new port.
    replaceOn: ["name", "bridge", "type"],
    deleteBeforeReplace: true,
    id: (p) => `${p.connection.host}/${p.bridge}/${p.name}`,

    async create(ctx, p) {
        const where = `OvsPort ${p.name} on ${describe(ctx.conn)}`;
        const cur = await current(ctx, p.name);
        if (cur) {
            const own = cur.externalIds[OWNER_KEY];
            if (own && own !== p.owner) throw new Error(`${where}: exists and belongs to ${own}`);
            const diff = conflicts(cur, p);
            if (cur.bridge !== p.bridge || (!own && diff.length)) {
                throw new Error(`${where}: an unmanaged port of that name exists: ${diff.join(", ")}; remove it or import it`);
            }
            await runPlan(ctx.ex, ctx.conn, planConverge(cur, p));
        } else {
            await runPlan(ctx.ex, ctx.conn, planCreate(p));
        }
        try {
            return { ofport: await waitOfport(ctx, p) };
        } catch (e) {
            // e.g. a system port whose device does not exist: don't leave a dead port behind.
            if (!cur) await runPlan(ctx.ex, ctx.conn, planDelete(p.bridge, p.name)).catch(() => undefined);
            throw e;
        }
    },

    async read(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur) return undefined;
        return { ...toInputs(cur, olds), ofport: cur.ofport ?? -1 };
    },

    async update(ctx, _id, _olds, p) {
        const cur = await current(ctx, p.name);
        if (!cur) {
            await runPlan(ctx.ex, ctx.conn, planCreate(p));
        } else {
            const own = cur.externalIds[OWNER_KEY];
            if (own && own !== p.owner) throw new Error(`OvsPort ${p.name} on ${describe(ctx.conn)} belongs to ${own}`);
            await runPlan(ctx.ex, ctx.conn, planConverge(cur, p));
        }
        return { ofport: await waitOfport(ctx, p) };
    },

    async delete(ctx, _id, olds) {
        const cur = await current(ctx, olds.name);
        if (!cur) return;
        const own = cur.externalIds[OWNER_KEY];
        if (own !== olds.owner) {
            throw new Error(`OvsPort ${olds.name} on ${describe(ctx.conn)}: not deleting, it is owned by ${own ?? "nobody (unmanaged)"}, not ${olds.owner}`);
        }
        await runPlan(ctx.ex, ctx.conn, planDelete(cur.bridge ?? olds.bridge, olds.name));
    },
};
