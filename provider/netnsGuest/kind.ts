import { KindSpec, OpContext, Outputs } from "../core/kind";
import { runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { netnsGuestSchema, NetnsGuestSpec, netnsGuestOutputs } from "./schema";
import { asScript, GuestState, parseGuest, planConverge, planCreate, planDelete, showGuest, toInputs } from "./planner";

async function current(ctx: OpContext, g: Pick<NetnsGuestSpec, "name" | "tap" | "guestIf">): Promise<GuestState> {
    return parseGuest(await check(ctx.ex, ctx.conn, showGuest(g)));
}

/** The namespace with the guest's NIC in it, and the tap on the host as that NIC's peer. */
const complete = (st: GuestState) => st.netns && !!st.tap?.isVeth && st.tap.peerInNs && !!st.nic;

export const netnsGuestKind: KindSpec<typeof netnsGuestSchema, Outputs<typeof netnsGuestOutputs>> = {
    kind: "NetnsGuest",
    version: 1,
    schema: netnsGuestSchema,
    replaceOn: ["name", "tap", "guestIf"],
    deleteBeforeReplace: true,
    id: (g) => `${g.connection.host}/${g.name}`,

    async create(ctx, g) {
        const where = `NetnsGuest ${g.name} (tap ${g.tap}) on ${describe(ctx.conn)}`;
        const st = await current(ctx, g);
        if (st.netns || st.tap) {
            // Adopt only a complete guest marked ours (or unmarked); anything else is someone else's.
            if (!complete(st))
                throw new Error(
                    `${where}: ${st.netns ? `namespace ${g.name}` : `device ${g.tap}`} exists but is not a guest of this shape (namespace + veth ${g.tap}↔${g.guestIf}); remove it or pick other names`,
                );
            claim({
                where,
                exists: true,
                owner: st.tap!.alias,
                want: g.owner,
                mark: `owner alias on ${g.tap} (ip link alias)`,
                fix: `remove it (ip netns delete ${g.name}; ip link del ${g.tap}) or use another VM id`,
            });
            await runPlan(ctx.ex, ctx.conn, planConverge(st, g));
            return {};
        }
        try {
            await check(ctx.ex, ctx.conn, asScript(planCreate(g)));
        } catch (e) {
            await runPlan(ctx.ex, ctx.conn, planDelete(g)).catch(() => undefined);
            throw e;
        }
        return {};
    },

    async read(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!complete(st)) return undefined;
        return toInputs(st, olds);
    },

    async update(ctx, _id, _olds, g) {
        const st = await current(ctx, g);
        if (!st.netns && !st.tap) {
            await check(ctx.ex, ctx.conn, asScript(planCreate(g)));
            return {};
        }
        if (!complete(st))
            throw new Error(
                `NetnsGuest ${g.name} on ${describe(ctx.conn)}: half a guest (namespace ${st.netns ? "present" : "missing"}, tap ${st.tap ? "present" : "missing"}); delete the stray part`,
            );
        if (st.tap!.alias && st.tap!.alias !== g.owner) throw new Error(`NetnsGuest ${g.name} on ${describe(ctx.conn)} belongs to ${st.tap!.alias}`);
        await runPlan(ctx.ex, ctx.conn, planConverge(st, g));
        return {};
    },

    async delete(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!st.netns && !st.tap) return;
        if (st.tap && st.tap.alias !== olds.owner) {
            throw new Error(
                `NetnsGuest ${olds.name} on ${describe(ctx.conn)}: not deleting, ${olds.tap} is marked ${st.tap.alias ?? "(no owner)"}, not ${olds.owner}`,
            );
        }
        await runPlan(ctx.ex, ctx.conn, planDelete(olds));
    },
};
