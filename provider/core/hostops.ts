import { Argv, shellJoin } from "../ssh/quote";
import { check, CommandError, DEFAULT_TIMEOUT_MS, describe, Executor } from "../ssh/executor";
import { ConnectionSpec } from "./schema";

/** Marks the failing step of a multi-command plan on stdout: `@@dvrlab-step <index> <exit code>`. */
const STEP_MARK = "@@dvrlab-step ";

/**
 * Runs a plan in order; stops at the first failure (CommandError names host, command, stderr).
 * Several commands go to the host as one `sh` script: one SSH round trip instead of one per command
 * (a veth pair's create is 11 commands; each round trip costs 5–40 ms on the lab). Each command
 * keeps its own timeout, and a failure is reported with that command's argv and exit code, as if
 * it had run alone.
 */
export async function runPlan(ex: Executor, c: ConnectionSpec, plan: readonly Argv[]): Promise<void> {
    if (plan.length <= 1) {
        for (const argv of plan) await check(ex, c, argv);
        return;
    }
    const secs = Math.ceil(DEFAULT_TIMEOUT_MS / 1000);
    const script = plan.map((argv, i) => `timeout -k 2 ${secs} ${shellJoin(argv)} || { rc=$?; echo "${STEP_MARK}${i} $rc"; exit "$rc"; }`).join("\n");
    const r = await ex.run(c, ["sh", "-c", script], { timeoutMs: DEFAULT_TIMEOUT_MS * plan.length, logAs: plan });
    if (r.code === 0) return;
    const m = new RegExp(`^${STEP_MARK}(\\d+) (\\d+)$`, "m").exec(r.stdout);
    if (!m) throw new CommandError(c, ["sh", "-c", script], r);
    const argv = plan[Number(m[1])];
    const code = Number(m[2]);
    if (code === 124) throw new Error(`command timed out after ${DEFAULT_TIMEOUT_MS} ms on ${describe(c)}: ${shellJoin(argv)}`);
    throw new CommandError(c, argv, { stdout: r.stdout.slice(0, m.index), stderr: r.stderr, code });
}

/** `ip link show` of a missing device exits non-zero with this message. */
export function isMissingDevice(e: unknown): boolean {
    return e instanceof CommandError && /does not exist|Cannot find device/i.test(e.result.stderr);
}

/** Reads a link's JSON, or undefined when it does not exist. */
export async function showLinkJson(ex: Executor, c: ConnectionSpec, argv: Argv): Promise<string | undefined> {
    try {
        return await check(ex, c, argv);
    } catch (e) {
        if (isMissingDevice(e)) return undefined;
        throw e;
    }
}

/**
 * Whether the host's OVS can use the kernel datapath. Without the openvswitch module, bridges
 * must be `netdev` (userspace) and veths it reads need tx checksum offload off.
 */
export async function hasKernelDatapath(ex: Executor, c: ConnectionSpec): Promise<boolean> {
    const r = await ex.run(c, ["test", "-d", "/sys/module/openvswitch"]);
    return r.code === 0;
}

/**
 * Bounded poll: reads until `done` holds (returns that reading) or `ms` passed (throws with
 * `failure(last reading)`). For host state that settles after a command (an ofport, a daemon, a domain).
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, ms: number, everyMs: number, failure: (last: T) => string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = await read();
        if (done(v)) return v;
        if (Date.now() > end) throw new Error(failure(v));
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
