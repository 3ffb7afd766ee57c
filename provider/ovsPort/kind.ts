import { KindSpec, OpContext, Outputs } from "../core/kind";
import { pollUntil, runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { ADOPTED_KEY, OWNER_KEY } from "../ovs/vsctl";
import { claim } from "../core/ownership";
import { ovsPortSchema, OvsPortSpec, ovsPortOutputs } from "./schema";
import { ovsOptions, parsePort, planAdopt, planConverge, planCreate, planDelete, planRelease, PortState, showPort, toInputs } from "./planner";
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
            const diff = conflicts(cur, p);
            const how = claim({
                where,
                exists: true,
                owner: cur.externalIds[OWNER_KEY],
                want: p.owner,
                adopt: p.adopt,
                mark: `external_ids:${OWNER_KEY}`,
                fix:
                    `set adopt: true to use it (destroy then leaves it, removing only dvrlab's marks)${diff.length ? `; it differs: ${diff.join(", ")}` : ""}; ` +
                    `or remove it (ovs-vsctl del-port ${p.name}), or use another name`,
            });
            // A port moves between bridges only by replacement: never from under someone.
            if (cur.bridge !== p.bridge) throw new Error(`${where}: is on bridge ${cur.bridge}, not ${p.bridge}; remove it or use another name`);
            await runPlan(ctx.ex, ctx.conn, how === "adopt" ? planAdopt(cur, p) : planConverge(cur, p));
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
        // Adopted: the host's port stays, without our marks.
        if (cur.externalIds[ADOPTED_KEY] === "true") await runPlan(ctx.ex, ctx.conn, planRelease(olds.name));
        else await runPlan(ctx.ex, ctx.conn, planDelete(cur.bridge ?? olds.bridge, olds.name));
    },
};
