import { Argv } from "../ssh/quote";
import { check, CommandError, Executor } from "../ssh/executor";
import { ConnectionSpec } from "./schema";

/** Runs a plan in order; stops at the first failure (CommandError names host, command, stderr). */
export async function runPlan(ex: Executor, c: ConnectionSpec, plan: readonly Argv[]): Promise<void> {
    for (const argv of plan) await check(ex, c, argv);
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
