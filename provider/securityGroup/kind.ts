import { KindSpec, OpContext, Outputs } from "../core/kind";
import { runPlan } from "../core/hostops";
import { check } from "../ssh/executor";
import { securityGroupSchema, SecurityGroupSpec, securityGroupOutputs } from "./schema";
import { parseState, planApply, planDelete, readBack, restoreScript, showAll } from "./planner";

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

    // Our chains are named for the port: an existing one (e.g. from an interrupted run) is rewritten.
    async create(ctx, s) {
        await apply(ctx, s);
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
