import { KindSpec, OpContext, Outputs } from "../core/kind";
import { describe } from "../ssh/executor";
import { evaluate, failureMessage, parseProbes, probeCommand } from "./planner";
import { hostPreflightOutputs, hostPreflightSchema, HostPreflightSpec } from "./schema";

type Out = Outputs<typeof hostPreflightOutputs>;

/** Runs the read-only probes; a login that cannot become root is a finding, not a crash. */
export async function runPreflight(ctx: OpContext, spec: HostPreflightSpec): Promise<Out> {
    const r = await ctx.ex.run(ctx.conn, probeCommand(spec.vxlanPort), { timeoutMs: 30_000 });
    if (r.code !== 0 && !r.stdout.includes("@@dvrlab-probe")) {
        const sudo = ctx.conn.become === "sudo" && /sudo/i.test(r.stderr);
        return {
            findings: [
                {
                    check: "privilege",
                    ok: false,
                    detail: sudo
                        ? `sudo -n failed for ${ctx.conn.user}: ${r.stderr.trim().split("\n")[0]}`
                        : `the probes could not run (exit ${r.code}): ${r.stderr.trim().split("\n")[0]}`,
                    fix: sudo
                        ? `give ${ctx.conn.user} passwordless sudo: echo '${ctx.conn.user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/dvrlab (visudo -cf to check)`
                        : "check that the login shell is sh-compatible",
                },
            ],
            versions: {},
        };
    }
    return evaluate(parseProbes(r.stdout), spec, ctx.conn.user);
}

async function checked(ctx: OpContext, spec: HostPreflightSpec): Promise<Out> {
    const out = await runPreflight(ctx, spec);
    const msg = failureMessage(describe(ctx.conn), out.findings);
    if (msg) throw new Error(msg);
    return out;
}

/**
 * HostPreflight: nothing on the host is changed; create (and update) fail with every problem named
 * when the host cannot carry what the topology puts there, before any other resource touches it.
 */
export const hostPreflightKind: KindSpec<typeof hostPreflightSchema, Out> = {
    kind: "HostPreflight",
    version: 1,
    schema: hostPreflightSchema,
    replaceOn: [],
    deleteBeforeReplace: false,
    // a new user or become changes what privilege finds
    updateOnConnectionChange: true,
    id: (p) => `${p.connection.host}/preflight`,
    create: (ctx, p) => checked(ctx, p),
    // Refresh shows today's findings (a host that lost a binary shows up in the diff of outputs).
    read: async (ctx, _id, olds) => ({ ...olds, ...(await runPreflight(ctx, olds)) }),
    update: (ctx, _id, _olds, p) => checked(ctx, p),
    delete: async () => undefined,
};
