// Coalescing of FlowEntry reads and writes per (host, bridge).
//
// One pulumi operation drives hundreds of FlowEntry resources at once; one SSH round trip per
// flow is the cost to beat (~14 ms each, against ~20 ms for one `add-flows` of 200). So:
//  - reads share one `dump-flows` per bridge: concurrent readers join the dump in flight, later
//    ones reuse its result for a short while, and any write to the bridge makes it stale;
//  - writes arriving within a few ms go out as one `ovs-ofctl --bundle add-flows BR -` (adds,
//    modify_strict and cookie-scoped deletes as lines on stdin), each resource still getting its
//    own result: a failed batch is retried item by item so the error lands on the right one.
import { randomBytes } from "crypto";
import * as fs from "fs";
import { describe, Executor } from "../ssh/executor";
import { shellJoin } from "../ssh/quote";
import { ConnectionSpec } from "../core/schema";
import {
    addLine,
    canonicalise,
    conflictMessage,
    decideEnsure,
    decideModify,
    deleteLine,
    DumpedFlow,
    dumpFlows,
    EnsureDecision,
    findOurs,
    findReplaced,
    isBundleUnsupported,
    isMissingBridge,
    mergeAfterWrite,
    needsCanonical,
    parseDumpFlows,
    readBackPerCookie,
    restoreLines,
    writeAndRead,
} from "./planner";
import { FlowEntrySpec } from "./schema";
import { baseOf, logged } from "../core/commandLog";

type FlowText = Pick<FlowEntrySpec, "cookie" | "table" | "priority" | "match" | "actions" | "idleTimeout" | "hardTimeout">;

export type FlowOp =
    /** Make the bridge hold `spec` under its cookie; `storedMatch` (the canonical match of our last write) allows an in-place modify. */
    { type: "ensure"; spec: FlowText; storedMatch?: string } | { type: "delete"; cookie: string };

export interface BatcherOptions {
    /** How long the first write waits for others to join its batch. */
    windowMs: number;
    /** How long a finished dump serves reads (it never outlives a write). */
    dumpTtlMs: number;
    maxBatch: number;
}

export const DEFAULT_OPTIONS: BatcherOptions = { windowMs: 3, dumpTtlMs: 1000, maxBatch: 1000 };

export class FlowError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FlowError";
    }
}

interface Pending {
    op: FlowOp;
    resolve(v: DumpedFlow | undefined): void;
    reject(e: unknown): void;
}

interface DumpEntry {
    gen: number;
    flows: Promise<DumpedFlow[] | undefined>;
    doneAt?: number;
}

/** Counters for tests and the benchmark. */
export interface BatcherStats {
    dumps: number;
    writes: number;
    canonicalisations: number;
    batches: number;
    /** Operations (ensure/delete) that went through batches. */
    items: number;
    retriedItems: number;
    /** Wall time spent waiting for the host, per kind of command. */
    dumpMs: number;
    writeMs: number;
    canonicalMs: number;
}

/** All FlowEntry traffic for one bridge on one host goes through one of these. */
export class BridgeFlows {
    /** Bumped when a write starts and when it ends: a dump is reusable only within one generation. */
    private gen = 0;
    private cache?: DumpEntry;
    private queue: Pending[] = [];
    private timer?: NodeJS.Timeout;
    private flushing = false;
    private bundle = true;
    readonly stats: BatcherStats = { dumps: 0, writes: 0, canonicalisations: 0, batches: 0, items: 0, retriedItems: 0, dumpMs: 0, writeMs: 0, canonicalMs: 0 };
    private readonly opts: BatcherOptions;

    constructor(
        private readonly ex: Executor,
        private readonly conn: ConnectionSpec,
        readonly bridge: string,
        opts: Partial<BatcherOptions> = {},
    ) {
        this.opts = { ...DEFAULT_OPTIONS, ...opts };
        if (process.env.DVRLAB_FLOW_STATS) everyBridge.push(this);
    }

    private async run(argv: readonly string[], stdin: string | undefined, what: "dumpMs" | "writeMs" | "canonicalMs") {
        const t0 = Date.now();
        try {
            return await this.ex.run(this.conn, argv, stdin === undefined ? undefined : { stdin });
        } finally {
            this.stats[what] += Date.now() - t0;
            writeStats();
        }
    }

    private where(): string {
        return `bridge ${this.bridge} on ${describe(this.conn)}`;
    }

    /** Every flow on the bridge, or undefined when the bridge does not exist. Coalesced. */
    dump(): Promise<DumpedFlow[] | undefined> {
        const c = this.cache;
        if (c && c.gen === this.gen && (c.doneAt === undefined || Date.now() - c.doneAt < this.opts.dumpTtlMs)) return c.flows;
        const entry: DumpEntry = { gen: this.gen, flows: this.fetch() };
        this.cache = entry;
        entry.flows.then(
            () => (entry.doneAt = Date.now()),
            () => {
                if (this.cache === entry) this.cache = undefined;
            },
        );
        return entry.flows;
    }

    /** Forget the cached dump (a caller knows the bridge changed behind our back). */
    invalidate(): void {
        this.cache = undefined;
    }

    private async fetch(): Promise<DumpedFlow[] | undefined> {
        this.stats.dumps++;
        const argv = dumpFlows(this.bridge);
        const r = await this.run(argv, undefined, "dumpMs");
        if (r.code !== 0) {
            if (isMissingBridge(r.stderr)) return undefined;
            throw new FlowError(`dump-flows failed on ${describe(this.conn)} (exit ${r.code}): ${shellJoin(argv)}\nstderr: ${r.stderr.trim()}`);
        }
        return parseDumpFlows(r.stdout);
    }

    /** Queues a write; resolves with our flow as OVS prints it afterwards (ensure) or undefined (delete). */
    submit(op: FlowOp): Promise<DumpedFlow | undefined> {
        return new Promise((resolve, reject) => {
            this.queue.push({ op, resolve, reject });
            if (!this.flushing && !this.timer) {
                this.timer = setTimeout(() => {
                    this.timer = undefined;
                    void this.flush();
                }, this.opts.windowMs);
            }
        });
    }

    private async flush(): Promise<void> {
        this.flushing = true;
        try {
            // Whatever arrived while a batch was on the wire forms the next one.
            while (this.queue.length) await this.runBatch(this.queue.splice(0, this.opts.maxBatch));
        } finally {
            this.flushing = false;
        }
    }

    private async runBatch(items: Pending[]): Promise<void> {
        this.stats.batches++;
        this.stats.items += items.length;
        try {
            await this.runBatchOrThrow(items);
        } catch (e) {
            for (const it of items) it.reject(e);
        }
    }

    private async runBatchOrThrow(items: Pending[]): Promise<void> {
        const pre = await this.dump();
        if (pre === undefined) {
            for (const it of items) {
                if (it.op.type === "delete")
                    it.resolve(undefined); // the bridge, and so the flow, is gone
                else it.reject(new FlowError(`${this.where()} does not exist (create the bridge first)`));
            }
            return;
        }

        // 1. Decide per item; ask OVS for the canonical form where the decision needs it.
        const decisions = new Map<Pending, EnsureDecision | Error>();
        const needCanon: Pending[] = [];
        for (const it of items) {
            if (it.op.type === "delete") {
                decisions.set(it, { kind: "write", lines: [deleteLine(it.op.cookie)] });
                continue;
            }
            const m = decideModify(it.op.spec, pre, it.op.storedMatch);
            if (m) decisions.set(it, m);
            else if (needsCanonical(it.op.spec, pre)) needCanon.push(it);
            else decisions.set(it, decideEnsure(it.op.spec, pre, undefined, this.bridge));
        }
        if (needCanon.length) {
            const canon = await this.canonical(needCanon.map((it) => (it.op as { spec: FlowText }).spec));
            for (const it of needCanon) {
                const spec = (it.op as { spec: FlowText }).spec;
                const c = canon.get(spec.cookie);
                decisions.set(
                    it,
                    c instanceof Error ? c : c ? decideEnsure(spec, pre, c, this.bridge) : new FlowError(`OVS did not keep the flow ${addLine(spec)}`),
                );
            }
        }

        // 2. One round trip for the batch: write, then read back what OVS made of it. On failure,
        // one per item so each error lands on its resource.
        const writers = items.filter((it) => (decisions.get(it) as EnsureDecision)?.kind === "write");
        const errors = new Map<Pending, Error>();
        let post: DumpedFlow[] = pre;
        if (writers.length) {
            const lines = (it: Pending) => (decisions.get(it) as { lines: string[] }).lines;
            const readCookies = (its: Pending[]) => [...new Set(its.flatMap((it) => (it.op.type === "ensure" ? [it.op.spec.cookie] : [])))];
            const cookies = readCookies(writers);
            const all = !readBackPerCookie(cookies.length, pre.length);
            const preAt = this.cache?.doneAt ?? Date.now();
            let known: { flows: DumpedFlow[]; at: number } | undefined;
            this.gen++;
            try {
                const back = await this.write(writers.flatMap(lines), all ? "all" : cookies);
                post = all ? back : mergeAfterWrite(pre, touchedCookies(writers.flatMap(lines)), back);
                known = { flows: post, at: all ? Date.now() : preAt };
            } catch (e) {
                if (writers.length === 1) errors.set(writers[0], e as Error);
                else {
                    const back: DumpedFlow[] = [];
                    for (const it of writers) {
                        this.stats.retriedItems++;
                        try {
                            back.push(...(await this.write(lines(it), readCookies([it]))));
                        } catch (e2) {
                            errors.set(it, e2 as Error);
                        }
                    }
                    // What the failed items left behind is unknown: the next reader dumps afresh.
                    post = mergeAfterWrite(pre, touchedCookies(writers.filter((it) => !errors.has(it)).flatMap(lines)), back);
                }
            } finally {
                this.gen++;
            }
            if (known) this.remember(known.flows, known.at);
        }

        // 3. An add written without a canonical check may have replaced a sibling's flow (same
        // identity, another resource of this stack): put it back and fail this resource.
        const ensures = items.filter(
            (it) =>
                it.op.type === "ensure" &&
                !(decisions.get(it) instanceof Error) &&
                (decisions.get(it) as EnsureDecision).kind !== "conflict" &&
                !errors.has(it),
        );
        const deleted = new Set(items.flatMap((it) => (it.op.type === "delete" ? [it.op.cookie] : [])));
        const restores: { it: Pending; replaced: DumpedFlow; lines: string[] }[] = [];
        for (const it of ensures) {
            const d = decisions.get(it) as EnsureDecision;
            const spec = (it.op as { spec: FlowText }).spec;
            const f = findOurs(post, spec.cookie, { table: spec.table, priority: spec.priority });
            if (needCanon.includes(it) || d.kind !== "write" || !f || !d.lines.some((l) => l.startsWith("add "))) continue;
            const replaced = findReplaced(f, pre, post, deleted);
            if (replaced) restores.push({ it, replaced, lines: restoreLines(replaced, spec.cookie) });
        }
        if (restores.length) {
            this.gen++;
            try {
                await this.write(
                    restores.flatMap((r) => r.lines),
                    [],
                );
                for (const r of restores)
                    errors.set(
                        r.it,
                        new FlowError(
                            `${conflictMessage(this.bridge, r.replaced, (r.it.op as { spec: FlowText }).spec.cookie)} (it was replaced for a moment and has been put back)`,
                        ),
                    );
            } catch (e) {
                for (const r of restores)
                    errors.set(
                        r.it,
                        new FlowError(
                            `${conflictMessage(this.bridge, r.replaced, (r.it.op as { spec: FlowText }).spec.cookie)}; putting it back failed: ${(e as Error).message}`,
                        ),
                    );
            } finally {
                this.gen++; // the next reader dumps afresh
            }
        }

        for (const it of items) {
            const d = decisions.get(it)!;
            if (d instanceof Error) it.reject(d);
            else if (d.kind === "conflict") it.reject(new FlowError(d.message));
            else if (errors.has(it)) it.reject(errors.get(it));
            else if (it.op.type === "delete") it.resolve(undefined);
            else {
                const spec = it.op.spec;
                const f = findOurs(post, spec.cookie, { table: spec.table, priority: spec.priority });
                if (!f)
                    it.reject(
                        new FlowError(
                            `${this.where()}: flow cookie=${spec.cookie} is missing right after it was written; did another flow with the same table, priority and match replace it?`,
                        ),
                    );
                else it.resolve(f);
            }
        }
    }

    /** Our own write told us what the bridge holds now: serve it to the next batch and to reads. */
    private remember(flows: DumpedFlow[], doneAt: number): void {
        this.cache = { gen: this.gen, flows: Promise.resolve(flows), doneAt };
    }

    /** Writes flow_mod lines and returns what OVS then holds for `readBack` (cookies, or the whole bridge). */
    private async write(lines: string[], readBack: "all" | string[]): Promise<DumpedFlow[]> {
        this.stats.writes++;
        const stdin = lines.join("\n") + "\n";
        let argv = writeAndRead(this.bridge, this.bundle, readBack);
        let r = await this.run(argv, stdin, "writeMs");
        if (r.code !== 0 && this.bundle && isBundleUnsupported(r.stderr)) {
            // The bridge does not allow OpenFlow 1.4: same batch, without atomicity.
            this.bundle = false;
            argv = writeAndRead(this.bridge, false, readBack);
            r = await this.run(argv, stdin, "writeMs");
        }
        if (r.code !== 0) {
            const what = isMissingBridge(r.stderr) ? `${this.where()} does not exist` : `ovs-ofctl failed on ${describe(this.conn)} (exit ${r.code})`;
            throw new FlowError(
                `${what}: ovs-ofctl${this.bundle ? " --bundle" : ""} add-flows ${this.bridge} - <<EOF\n${stdin}EOF\nstderr: ${r.stderr.trim()}`,
            );
        }
        return parseDumpFlows(r.stdout);
    }

    /** OVS's own text for each flow (by cookie), via a scratch bridge; per-item errors as Error. */
    private async canonical(specs: FlowText[]): Promise<Map<string, DumpedFlow | Error>> {
        const out = new Map<string, DumpedFlow | Error>();
        const run = async (batch: FlowText[]) => {
            this.stats.canonicalisations++;
            const scratch = `dvrlab-s${randomBytes(3).toString("hex")}`;
            const argv = canonicalise(this.bridge, scratch);
            const stdin = batch.map(addLine).join("\n") + "\n";
            const r = await this.run(argv, stdin, "canonicalMs");
            if (r.code !== 0) {
                const what =
                    isMissingBridge(r.stderr) || /no row .* in table Bridge/.test(r.stderr) ? `${this.where()} does not exist` : `OVS refused the flow`;
                throw new FlowError(
                    `${what} (checked on a scratch bridge, nothing was written to ${this.bridge}): ${stdin.trim()}\nstderr: ${r.stderr.trim()}`,
                );
            }
            for (const f of parseDumpFlows(r.stdout)) out.set(f.cookie, f);
        };
        try {
            await run(specs);
        } catch (e) {
            if (specs.length === 1) out.set(specs[0].cookie, e as Error);
            else {
                for (const s of specs) {
                    this.stats.retriedItems++;
                    await run([s]).catch((e2) => out.set(s.cookie, e2 as Error));
                }
            }
        }
        return out;
    }
}

// Profiling hook for bench/flows.ts: the provider runs inside pulumi's plugin process, so its
// counters are written to a file named by DVRLAB_FLOW_STATS (one file per process).
const everyBridge: BridgeFlows[] = [];
function writeStats(): void {
    const file = process.env.DVRLAB_FLOW_STATS;
    if (!file) return;
    const bridges = everyBridge.map((b) => ({ bridge: b.bridge, ...b.stats }));
    fs.writeFileSync(`${file}.${process.pid}.json`, JSON.stringify({ pid: process.pid, at: Date.now(), bridges }));
}

/** Every cookie a batch of flow_mod lines writes or deletes. */
function touchedCookies(lines: string[]): Set<string> {
    return new Set(lines.map((l) => /cookie=(0x[0-9a-f]+)/.exec(l)?.[1]).filter((c): c is string => !!c));
}

// One BridgeFlows per executor and (host, port, user, bridge) for the life of the provider process.
const registry = new WeakMap<Executor, Map<string, BridgeFlows>>();

export function bridgeFlows(ex: Executor, conn: ConnectionSpec, bridge: string): BridgeFlows {
    // Keyed by the pooled executor, not the per-operation logging wrapper around it: the batch
    // serves every resource's operation on the bridge at once (one dump for many reads).
    const root = baseOf(ex);
    let m = registry.get(root);
    if (!m) registry.set(root, (m = new Map()));
    const key = `${conn.user}@${conn.host}:${conn.port}/${bridge}`;
    let b = m.get(key);
    if (!b) m.set(key, (b = new BridgeFlows(logged(root, `FlowEntry batch ${bridge}`), conn, bridge)));
    return b;
}

/** Drops every cached dump (tests that change a bridge behind the provider's back). */
export function invalidateFlowCaches(ex: Executor): void {
    for (const b of registry.get(baseOf(ex))?.values() ?? []) b.invalidate();
}
