import { KindSpec, OpContext, Outputs } from "../core/kind";
import { hasKernelDatapath, runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { vethPairSchema, VethPairSpec, vethPairOutputs } from "./schema";
import { EndState, parsePair, planConverge, planCreate, planDelete, showPair, toInputs } from "./planner";

async function current(ctx: OpContext, v: Pick<VethPairSpec, "name" | "peer">) {
    return parsePair(await check(ctx.ex, ctx.conn, showPair(v.name, v.peer)));
}

async function txFor(ctx: OpContext, v: VethPairSpec): Promise<boolean> {
    if (v.txChecksum !== undefined) return v.txChecksum;
    return hasKernelDatapath(ctx.ex, ctx.conn);
}

/** Both ends exist and are each other's peer. */
function isPair(a?: EndState, b?: EndState): a is EndState {
    return !!a && !!b && a.isVeth && b.isVeth && a.peerName === b.name && b.peerName === a.name;
}

export const vethPairKind: KindSpec<typeof vethPairSchema, Outputs<typeof vethPairOutputs>> = {
    kind: "VethPair",
    // 2: an end's promisc is optional (unset = unmanaged); version 1 stored the old default false.
    version: 2,
    schema: vethPairSchema,
    replaceOn: ["name", "peer"],
    deleteBeforeReplace: true,
    hostDefaults: ["txChecksum"],
    id: (v) => `${v.connection.host}/${v.name}`,

    // Version 1 defaulted promisc to false and so stored `promisc: false` for an end the user left
    // alone: that end is unmanaged now (false is what a new veth has anyway).
    migrate(stored) {
        if ((stored.dvrlabVersion ?? 0) >= 2) return stored;
        const end = (e: any) => (e && e.promisc === false ? (({ promisc: _p, ...rest }) => rest)(e) : e);
        return { ...stored, nameEnd: end(stored.nameEnd), peerEnd: end(stored.peerEnd) };
    },

    async create(ctx, v) {
        const where = `VethPair ${v.name}/${v.peer} on ${describe(ctx.conn)}`;
        const tx = await txFor(ctx, v);
        const [a, b] = await current(ctx, v);
        if (a || b) {
            if (!isPair(a, b)) throw new Error(`${where}: ${a ? v.name : v.peer} exists and is not one end of the pair ${v.name}/${v.peer}`);
            claim({
                where,
                exists: true,
                owner: a.alias,
                want: v.owner,
                mark: "owner alias (ip link alias)",
                fix: `remove it (ip link del ${v.name}) or use other names`,
            });
            await runPlan(ctx.ex, ctx.conn, planConverge([a, b!], v, tx));
            return { txChecksum: tx };
        }
        try {
            await runPlan(ctx.ex, ctx.conn, planCreate(v, tx));
        } catch (e) {
            await runPlan(ctx.ex, ctx.conn, planDelete(v.name)).catch(() => undefined);
            throw e;
        }
        return { txChecksum: tx };
    },

    async read(ctx, _id, olds) {
        const [a, b] = await current(ctx, olds);
        if (!isPair(a, b)) return undefined;
        return toInputs([a, b!], olds);
    },

    async update(ctx, _id, _olds, v) {
        const tx = await txFor(ctx, v);
        const [a, b] = await current(ctx, v);
        if (!a && !b) {
            await runPlan(ctx.ex, ctx.conn, planCreate(v, tx));
        } else {
            if (!isPair(a, b)) throw new Error(`VethPair ${v.name}/${v.peer} on ${describe(ctx.conn)}: the pair is broken; delete the stray end`);
            if (a.alias && a.alias !== v.owner) throw new Error(`VethPair ${v.name} on ${describe(ctx.conn)} belongs to ${a.alias}`);
            await runPlan(ctx.ex, ctx.conn, planConverge([a, b!], v, tx));
        }
        return { txChecksum: tx };
    },

    async delete(ctx, _id, olds) {
        const [a, b] = await current(ctx, olds);
        if (!a && !b) return;
        const end = a ?? b!;
        if (end.alias !== olds.owner) {
            throw new Error(`VethPair ${olds.name} on ${describe(ctx.conn)}: not deleting, it is marked ${end.alias ?? "(no owner)"}, not ${olds.owner}`);
        }
        // Deleting either end removes both.
        await runPlan(ctx.ex, ctx.conn, planDelete(a ? olds.name : olds.peer));
    },
};
