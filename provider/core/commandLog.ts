// Says what ran where: every command a resource runs goes to the Pulumi engine's log at debug
// level (`pulumi up --debug` shows it), as pulumi-command streams its commands' output. One place:
// kind.ts gives each operation an executor wrapped by `logged`.
import type * as PulumiLog from "@pulumi/pulumi/log";
import { Argv, shellJoin } from "../ssh/quote";
import { Connection, describe, ExecOptions, ExecResult, Executor } from "../ssh/executor";

/**
 * pulumi.log reaches the engine only when pulumi's runtime knows the engine's address. A program
 * gets it from PULUMI_NODEJS_ENGINE; a dynamic provider process only as its last argument (the
 * engine starts every provider plugin with `[flags…] <engine address>`), which
 * @pulumi/pulumi/cmd/dynamic-provider does not hand on: without this, log calls from a dynamic
 * provider are silently dropped.
 */
let engineChecked = false;
function connectEngine(): void {
    if (engineChecked) return;
    engineChecked = true;
    if (!process.argv[1]?.includes("dynamic-provider")) return; // a program, a test or a script: leave as is
    const addr = process.argv[process.argv.length - 1];
    if (!/^[A-Za-z0-9.\-[\]:]+:\d+$/.test(addr)) return;
    try {
        // internal, but what pulumi.log itself reads (runtime/settings.ts getEngine)
        const { getStore } = require("@pulumi/pulumi/runtime/state");
        const options = getStore().settings.options;
        if (!options.engineAddr) options.engineAddr = addr;
    } catch {
        // another @pulumi/pulumi layout: no debug log, nothing else lost
    }
}

// Loaded on first use, and only pulumi's log module: importing all of @pulumi/pulumi would load
// TypeScript (its closure serializer) into every provider process (~0.6 s).
let pulumiLog: typeof PulumiLog | undefined;

/** Sends one debug line to the engine (never throws, never waits: logging must not slow or fail an operation). */
export function debugLog(message: string): void {
    try {
        connectEngine();
        pulumiLog ??= require("@pulumi/pulumi/log") as typeof PulumiLog;
        pulumiLog.debug(message).catch(() => undefined);
    } catch {
        // no engine to tell: the command's own result is what matters
    }
}

/** The log entry of one executor call: who, where, what, how it ended. */
export function commandLine(
    label: string,
    c: Connection,
    cmds: readonly Argv[],
    outcome: { code?: number; error?: string; ms: number; stdinBytes?: number },
): string {
    const end = outcome.error !== undefined ? `failed: ${outcome.error.split("\n")[0]}` : `exit ${outcome.code}`;
    const head = `dvrlab ${label}: ${describe(c)} ${end} in ${outcome.ms} ms${outcome.stdinBytes !== undefined ? ` (stdin ${outcome.stdinBytes} bytes)` : ""}`;
    return [head, ...cmds.map((a) => `  $ ${shellJoin(a)}`)].join("\n");
}

/** The pooled executor under a logging wrapper (what shared per-process state, e.g. flow batches, must key on). */
export function baseOf(ex: Executor): Executor {
    return (ex as { base?: Executor }).base ?? ex;
}

/** An executor that logs every command it runs (`opts.logAs` names the commands a batch stands for). */
export function logged(ex: Executor, label: string, log: (message: string) => void = debugLog): Executor & { base: Executor } {
    return {
        base: baseOf(ex),
        async run(c: Connection, argv: Argv, opts?: ExecOptions): Promise<ExecResult> {
            const t0 = Date.now();
            const cmds = opts?.logAs ?? [argv];
            const stdinBytes = opts?.stdin !== undefined ? Buffer.byteLength(opts.stdin) : undefined;
            try {
                const r = await ex.run(c, argv, opts);
                log(commandLine(label, c, cmds, { code: r.code, ms: Date.now() - t0, stdinBytes }));
                return r;
            } catch (e: any) {
                log(commandLine(label, c, cmds, { error: e?.message ?? String(e), ms: Date.now() - t0, stdinBytes }));
                throw e;
            }
        },
    };
}
