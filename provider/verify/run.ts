// `verify`, the doing part: plans the registered checks (checks/index.ts) for the stack's outputs,
// keeps those `only` selects, and runs them phase by phase (lanes side by side) on the hosts
// through the provider's SSH executor and in the guests over their command channels.
import { Connection, Credentials, SshPool } from "../ssh/executor";
import { StackContext } from "./context";
import type { Outcome } from "./checks/check";
import { Check, checkKind, selectChecks } from "./checks";
import type { StackOutputs } from "./plan";

export interface CheckResult extends Outcome {
    name: string;
    kind: Check["kind"];
    ms: number;
}

export interface VerifyOptions {
    /** How long a guest may take to answer and hold its lease (a guest still booting after `up`). Default 60 s. */
    leaseWaitMs?: number;
    /** `--only` patterns (see onlyMatcher); none: every check. */
    only?: readonly string[];
    /** Called as each check ends (results come back in that order). */
    onResult?: (r: CheckResult) => void;
    /** An executor to run on (its connections stay open); default: a pool of its own, closed at the end. */
    executor?: SshPool;
}

/**
 * Runs the checks. Phases in order (checks/check.ts PHASE: br-int's gateway MACs as `up` left
 * them, leases, pings, shared counters, underlay captures); inside a phase one lane at a time per
 * lane, lanes in parallel (each guest's lease at once; each source guest's pings in turn).
 */
export async function verify(o: StackOutputs, creds: (c: Connection) => Credentials, opts: VerifyOptions = {}): Promise<CheckResult[]> {
    const checks = selectChecks(o, opts.only ?? []);
    const pool = opts.executor ?? new SshPool(creds);
    const ctx = new StackContext(o, pool, opts.leaseWaitMs ?? 60_000);
    const results: CheckResult[] = [];
    const runOne = async (c: Check) => {
        const t0 = Date.now();
        let r: CheckResult;
        try {
            r = { name: c.name, kind: c.kind, ...(await checkKind(c.kind).run(ctx, c)), ms: Date.now() - t0 };
        } catch (e: any) {
            r = { name: c.name, kind: c.kind, pass: false, evidence: [`error: ${e.message}`], ms: Date.now() - t0 };
        }
        results.push(r);
        opts.onResult?.(r);
    };
    try {
        const phases = [...new Set(checks.map((c) => checkKind(c.kind).phase))].sort((a, b) => a - b);
        for (const phase of phases) {
            const lanes = new Map<string, Check[]>();
            for (const c of checks) {
                const k = checkKind(c.kind);
                if (k.phase !== phase) continue;
                const lane = k.lane(c);
                lanes.set(lane, [...(lanes.get(lane) ?? []), c]);
            }
            await Promise.all(
                [...lanes.values()].map(async (lane) => {
                    for (const c of lane) await runOne(c);
                }),
            );
        }
    } finally {
        if (!opts.executor) pool.close();
    }
    return results;
}
