// What a verify check is: one kind per file under checks/, registered in checks/index.ts.
import type { Machine, StackOutputs, TraceStep } from "../plan";
import type { ExecResult, ExecOptions } from "../../ssh/executor";
import type { GuestExecResult, GuestSocket } from "../../guest/channel";
import type { Argv } from "../../ssh/quote";

/** One planned check: its kind, a name that says what it shows, and what the kind needs to run it. */
export interface Planned {
    kind: string;
    name: string;
}

/** What a check found. A check that throws fails with the error as its evidence. */
export interface Outcome {
    pass: boolean;
    /** Lines that show why it passed or failed (printed under PASS/FAIL). */
    evidence: string[];
    /** A failing packet's `ofproto/trace` on every bridge it crosses. */
    trace?: string[];
}

/** What a check can do on the stack's hosts and guests (verify/context.ts). */
export interface VerifyContext {
    readonly o: StackOutputs;
    readonly leaseWaitMs: number;
    machine(id: string): Machine;
    network(name: string): StackOutputs["networks"][number];
    /** Runs argv on a stack host (by name) through the provider's SSH executor; a non-zero exit is a result. */
    host(name: string, argv: Argv, opts?: ExecOptions): Promise<ExecResult>;
    /** The VM's command channel, reached over its host's pooled SSH connection. */
    guestSocket(vm: Machine): GuestSocket;
    /** Runs argv inside the VM (default limit 15 s). */
    guest(vm: Machine, argv: string[], timeoutMs?: number): Promise<GuestExecResult>;
    /** `ofproto/trace` of each step, `{port:NAME}` resolved on its host. */
    trace(steps: TraceStep[]): Promise<string[]>;
}

/**
 * When checks run: phases in order; inside a phase, checks of one lane run one after another
 * (in plan order), lanes run side by side.
 */
export const PHASE = {
    /** Host state exactly as `up` left it, before any check sends traffic. */
    asUpLeftIt: 0,
    /** Guests' leases (waits for booting guests). */
    leases: 1,
    pings: 2,
    /** Checks reading shared flow counters. */
    counters: 3,
    /** Checks capturing a whole host's underlay. */
    captures: 4,
} as const;

export type OutputKey = keyof StackOutputs;

export interface CheckKind<P extends Planned = Planned> {
    kind: P["kind"];
    /** What it shows, one line (`verify --list`). */
    title: string;
    /** The stack outputs it reads; the kind plans nothing when one is absent (e.g. no router). */
    needs: readonly OutputKey[];
    phase: number;
    /** Checks sharing a lane never run at the same time (shared counters, one underlay capture at a time). */
    lane(c: P): string;
    /** Pure: the checks of this kind for these outputs. */
    plan(o: StackOutputs): P[];
    run(ctx: VerifyContext, c: P): Promise<Outcome>;
}

/** Identity, for type inference: `export const dhcp = defineCheck({ kind: "dhcp", … })`. */
export function defineCheck<P extends Planned>(k: CheckKind<P>): CheckKind<P> {
    return k;
}
