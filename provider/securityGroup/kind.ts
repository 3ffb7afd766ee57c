import { KindSpec, OpContext, Outputs } from "../core/kind";
import { runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { securityGroupSchema, SecurityGroupSpec, securityGroupOutputs } from "./schema";
import { parseState, planApply, planDelete, readBack, restoreScript, showAll, unmarkedChains } from "./planner";

async function state(ctx: OpContext, s: Pick<SecurityGroupSpec, "portId" | "tap">) {
    return parseState(await check(ctx.ex, ctx.conn, showAll()), s);
}

async function apply(ctx: OpContext, s: SecurityGroupSpec) {
    const st = await state(ctx, s);
    await check(ctx.ex, ctx.conn, planApply(), { stdin: restoreScript(s, st.jumps) });
}

export const securityGroupKind: KindSpec<typeof securityGroupSchema, Outputs<typeof securityGroupOutputs>> = {
    kind: "SecurityGroup",
    version: 1,
    schema: securityGroupSchema,
    replaceOn: ["portId", "tap"],
    deleteBeforeReplace: true,
    id: (s) => `${s.connection.host}/sg/${s.portId}`,

    // Our chains are named for the port: ours from a run whose state was lost are rewritten; a chain
    // of that name without our FORWARD jump's comment is someone else's and is refused.
    async create(ctx, s) {
        const st = await state(ctx, s);
        const foreign = unmarkedChains(st, s);
        if (foreign.length) {
            claim({
                where: `SecurityGroup ${s.portId} on ${describe(ctx.conn)}: chain ${foreign.join(", ")}`,
                exists: true,
                want: s.owner,
                mark: `FORWARD jump with comment dvrlab-sg-${s.portId}`,
                fix: `remove it (iptables -F ${foreign[0]}; iptables -X ${foreign[0]}) or use another port id`,
            });
        }
        await check(ctx.ex, ctx.conn, planApply(), { stdin: restoreScript(s, st.jumps) });
        return {};
    },

    // Real host state: a rule deleted by hand is a rule fewer (drift that diff shows), a fixed rule
    // missing or edited is "broken: …"; either way `up` rewrites the chains.
    async read(ctx, _id, olds) {
        const st = await state(ctx, olds);
        if (!st.ingress && !st.egress && !st.source && !st.jumps.some(Boolean)) return undefined;
        const r = readBack(st, olds);
        return {
            ...olds,
            ...(r.pair ?? {}),
            ingress: r.ingress ?? [],
            egress: r.egress ?? [],
            enforcement: r.problems.length ? (`broken: ${r.problems.join(", ")}` as any) : "enforced",
        };
    },

    async update(ctx, _id, _olds, s) {
        await apply(ctx, s);
        return {};
    },

    async delete(ctx, _id, olds) {
        await runPlan(ctx.ex, ctx.conn, planDelete(olds));
    },
};
