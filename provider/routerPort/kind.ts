import { KindSpec, OpContext, Outputs } from "../core/kind";
import { hasKernelDatapath, pollUntil, runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { OWNER_KEY } from "../ovs/vsctl";
import { convergeNsPort } from "../netns/port";
import { routerPortSchema, RouterPortSpec, RouterPortOutputs, routerPortOutputs } from "./schema";
import { conflicts, parseRouterPort, planDelete, RouterPortState, showRouterPort, toInputs } from "./planner";

const OFPORT_WAIT_MS = 10_000;

const where = (ctx: OpContext, p: Pick<RouterPortSpec, "name">) => `RouterPort ${p.name} on ${describe(ctx.conn)}`;

async function current(ctx: OpContext, p: Pick<RouterPortSpec, "namespace" | "name">): Promise<RouterPortState> {
    return parseRouterPort(await check(ctx.ex, ctx.conn, showRouterPort(p)));
}

/** Configures the port and ends by reading it back, with a bounded wait for its OpenFlow number. */
async function converge(ctx: OpContext, p: RouterPortSpec, st: RouterPortState): Promise<RouterPortOutputs> {
    if (!st.namespace) throw new Error(`${where(ctx, p)}: namespace ${p.namespace} does not exist (a RouterNamespace makes it)`);
    const tx = p.txChecksum ?? (await hasKernelDatapath(ctx.ex, ctx.conn));
    await convergeNsPort(ctx, p, st, tx, () => current(ctx, p), where(ctx, p));
    const now = await pollUntil(
        () => current(ctx, p),
        (s) => s.port?.ofport !== undefined,
        OFPORT_WAIT_MS,
        100,
        () => `${where(ctx, p)}: no OpenFlow port after ${OFPORT_WAIT_MS} ms`,
    );
    return { ofport: now.port!.ofport!, txChecksum: tx };
}

export const routerPortKind: KindSpec<typeof routerPortSchema, Outputs<typeof routerPortOutputs>> = {
    kind: "RouterPort",
    version: 1,
    schema: routerPortSchema,
    // Tag, MAC, address, MTU and offload change in place; another name, bridge or namespace is another port.
    replaceOn: ["name", "bridge", "namespace"],
    deleteBeforeReplace: true,
    hostDefaults: ["txChecksum"],
    id: (p) => `${p.connection.host}/${p.bridge}/${p.name}`,

    async create(ctx, p) {
        const st = await current(ctx, p);
        if (st.port) {
            const diff = conflicts(st, p);
            claim({
                where: where(ctx, p),
                exists: true,
                owner: st.port.owner,
                want: p.owner,
                mark: `external_ids:${OWNER_KEY} on its OVS port`,
                fix: `remove it (ovs-vsctl del-port ${p.name})${diff.length ? ` (it differs: ${diff.join(", ")})` : ""} or use another name`,
            });
        }
        try {
            return await converge(ctx, p, st);
        } catch (e) {
            // only what this create added
            if (!st.port) await runPlan(ctx.ex, ctx.conn, planDelete(p.bridge, p.name)).catch(() => undefined);
            throw e;
        }
    },

    async read(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!st.port) return undefined;
        return { ...toInputs(st, olds), ofport: st.port.ofport ?? -1, txChecksum: st.txChecksum ?? olds.txChecksum };
    },

    async update(ctx, _id, olds, p) {
        const st = await current(ctx, p);
        const own = st.port?.owner;
        if (own && own !== olds.owner && own !== p.owner) throw new Error(`${where(ctx, p)}: belongs to ${own}`);
        return converge(ctx, p, st);
    },

    async delete(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!st.port) return;
        if (st.port.owner !== olds.owner) {
            throw new Error(`${where(ctx, olds)}: not deleting, it is owned by ${st.port.owner ?? "nobody (unmanaged)"}, not ${olds.owner}`);
        }
        // the device goes with the OVS port, wherever it is
        await runPlan(ctx.ex, ctx.conn, planDelete(st.port.bridge, olds.name));
    },
};
