// Pure parts of FlowEntry: cookies, ovs-ofctl argv and flow_mod lines, the dump-flows parser and the
// decisions create/update make from what the bridge holds. Nothing here touches a host.
import { createHash } from "crypto";
import { Argv } from "../ssh/quote";
import { FlowEntrySpec } from "./schema";

// ---------------------------------------------------------------------------------------------
// Cookies

/** Top byte of every cookie dvrlab derives, so a host's dvrlab flows are findable by mask. */
export const COOKIE_TAG = 0xd7n;
/** tag (8 bits) | stack (16 bits): the part shared by every flow of one stack. */
export const STACK_MASK = "0xffffff0000000000";

const hashBits = (text: string, bits: number): bigint => BigInt("0x" + createHash("sha256").update(text).digest("hex").slice(0, 16)) >> BigInt(64 - bits);

/** "0x" + lower-case hex, no leading zeros: how ovs-ofctl prints cookies. */
export function normCookie(c: string | bigint): string {
    return "0x" + BigInt(c).toString(16);
}

/** The cookie prefix every flow of one project/stack carries (with STACK_MASK). */
export function stackCookie(project: string, stack: string): string {
    return normCookie((COOKIE_TAG << 56n) | (hashBits(`${project}/${stack}`, 16) << 40n));
}

/**
 * A FlowEntry's cookie: tag | hash(project/stack) | hash(project/stack/name). Stable for a
 * resource name, so it survives refactors exactly as far as the name does (a rename is a new
 * cookie; create then takes the flow over from the old name, see decideEnsure).
 */
export function flowCookie(project: string, stack: string, name: string): string {
    return normCookie(BigInt(stackCookie(project, stack)) | hashBits(`${project}/${stack}/${name}`, 40));
}

/** Both cookies derived by dvrlab for the same project/stack. */
export function sameStack(a: string, b: string): boolean {
    const m = BigInt(STACK_MASK);
    const x = BigInt(a);
    return x >> 56n === COOKIE_TAG && (x & m) === (BigInt(b) & m);
}

// ---------------------------------------------------------------------------------------------
// ovs-ofctl

/**
 * ovs-ofctl negotiates the highest version both sides allow. Always the same list, because OVS
 * prints a flow differently per version (`mod_vlan_vid:1` over OpenFlow 1.0 is
 * `push_vlan:0x8100,set_field:4097->vlan_vid` over 1.3+): the canonical text is stable as long
 * as the bridge's `protocols` are.
 */
export const OFCTL_PROTOCOLS = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";
const OFCTL = ["ovs-ofctl", "-O", OFCTL_PROTOCOLS, "--no-names"] as const;

export const dumpFlows = (bridge: string): Argv => [...OFCTL, "--no-stats", "dump-flows", bridge];

/** One `add-flows` of many flow_mod lines on stdin; `--bundle` makes it atomic (needs OpenFlow 1.4 on the bridge). */
export const addFlows = (bridge: string, bundle: boolean): Argv => [...OFCTL, ...(bundle ? ["--bundle"] : []), "add-flows", bridge, "-"];

/**
 * Whether reading back `cookies` flows one `dump-flows cookie=X/-1` each is cheaper than one dump
 * of a bridge of `bridgeFlows`. Measured on the lab (OVS 3.1, userspace): ~3.3 ms per ovs-ofctl
 * run, plus ~5 µs per flow for a whole dump (8 ms for 1,000 flows) and its transfer and parsing.
 */
export function readBackPerCookie(cookies: number, bridgeFlows: number): boolean {
    return cookies <= 1 + Math.floor(bridgeFlows / 500);
}

/**
 * One round trip for a batch: the flow_mods (stdin) as one `add-flows`, then what OVS made of
 * them: a dump per written cookie (`cookie=X/-1`, cheap on a big bridge), or the whole bridge.
 * ovs-ofctl's own exit status and stderr come back unchanged (set -e).
 */
export const WRITE_SCRIPT = [
    "set -e",
    "b=$1; bundle=$2; shift 2",
    `ovs-ofctl -O ${OFCTL_PROTOCOLS} --no-names \${bundle:+--bundle} add-flows "$b" -`,
    'if [ "$1" = "--all" ]; then',
    `  ovs-ofctl -O ${OFCTL_PROTOCOLS} --no-names --no-stats dump-flows "$b"`,
    "else",
    `  for c in "$@"; do ovs-ofctl -O ${OFCTL_PROTOCOLS} --no-names --no-stats dump-flows "$b" "cookie=$c/-1"; done`,
    "fi",
].join("\n");

export const writeAndRead = (bridge: string, bundle: boolean, readBack: "all" | readonly string[]): Argv => [
    "sh",
    "-c",
    WRITE_SCRIPT,
    "dvrlab-flows",
    bridge,
    bundle ? "1" : "",
    ...(readBack === "all" ? ["--all"] : readBack),
];

/**
 * The bridge after a write, from the dump before it and what was read back: flows of the cookies
 * we wrote are what OVS printed for them, and a flow with the same table, priority and match as
 * one of those is gone (an add replaces it). Exact as long as nobody else wrote in between.
 */
export function mergeAfterWrite(pre: readonly DumpedFlow[], touched: ReadonlySet<string>, readBack: readonly DumpedFlow[]): DumpedFlow[] {
    const ids = new Set(readBack.map((f) => `${f.table} ${f.priority} ${f.match}`));
    return [...pre.filter((f) => !touched.has(f.cookie) && !ids.has(`${f.table} ${f.priority} ${f.match}`)), ...readBack];
}

/** ovs-ofctl's message when the bridge is not there (or its vswitchd is not running). */
export function isMissingBridge(stderr: string): boolean {
    return /is not a bridge or a socket/.test(stderr);
}

/** The bridge does not allow OpenFlow 1.4, which `--bundle` needs. */
export function isBundleUnsupported(stderr: string): boolean {
    return /version negotiation failed|bundle.*(not supported|unsupported)|OFPBFC_|requires OpenFlow 1\.4/i.test(stderr);
}

// ---------------------------------------------------------------------------------------------
// flow_mod lines (the add-flows file syntax: an optional command word, then the flow)

type FlowText = Pick<FlowEntrySpec, "cookie" | "table" | "priority" | "match" | "actions" | "idleTimeout" | "hardTimeout">;

function timeouts(f: FlowText): string[] {
    const t: string[] = [];
    if (f.idleTimeout) t.push(`idle_timeout=${f.idleTimeout}`);
    if (f.hardTimeout) t.push(`hard_timeout=${f.hardTimeout}`);
    return t;
}

const body = (head: string[], f: FlowText) => [...head, ...(f.match ? [f.match] : []), `actions=${f.actions}`].join(",");

export const addLine = (f: FlowText): string => "add " + body([`cookie=${f.cookie}`, `table=${f.table}`, `priority=${f.priority}`, ...timeouts(f)], f);

/** `mod-flows --strict` for one flow of ours: the cookie mask keeps it from touching anyone else's. */
export const modifyLine = (f: FlowText): string => "modify_strict " + body([`cookie=${f.cookie}/-1`, `table=${f.table}`, `priority=${f.priority}`], f);

/** Every flow carrying our cookie, in every table; never an unscoped delete. */
export const deleteLine = (cookie: string): string => `delete cookie=${cookie}/-1`;

// ---------------------------------------------------------------------------------------------
// dump-flows parser

export interface DumpedFlow {
    cookie: string;
    table: number;
    priority: number;
    idleTimeout: number;
    hardTimeout: number;
    /** Flags OVS prints in the header (send_flow_rem, reset_counts, …). */
    flags: string[];
    importance?: number;
    /** The match as OVS prints it, without priority; "" for a catch-all. */
    match: string;
    actions: string;
}

const HEADER_KV = new Set(["cookie", "duration", "table", "n_packets", "n_bytes", "idle_timeout", "hard_timeout", "importance", "idle_age", "hard_age"]);
const HEADER_FLAGS = new Set(["send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"]);
/** OpenFlow's default priority: ovs-ofctl prints no `priority=` for it. */
export const OFP_DEFAULT_PRIORITY = 32768;

/** One line of `ovs-ofctl dump-flows` (with or without stats), or undefined for header lines. */
export function parseFlowLine(line: string): DumpedFlow | undefined {
    const at = line.indexOf(" actions=");
    const startsWithActions = line.trimStart().startsWith("actions=");
    if (at < 0 && !startsWithActions) return undefined; // "NXST_FLOW reply (xid=0x4):" etc.
    const head = startsWithActions ? "" : line.slice(0, at).trim();
    const actions = startsWithActions ? line.trimStart().slice("actions=".length) : line.slice(at + " actions=".length);
    const f: DumpedFlow = {
        cookie: "0x0",
        table: 0,
        priority: OFP_DEFAULT_PRIORITY,
        idleTimeout: 0,
        hardTimeout: 0,
        flags: [],
        match: "",
        actions: actions.trim(),
    };
    // The header is "key=value, " pairs and "flag " words; the match (no spaces) comes last.
    let rest = head;
    for (;;) {
        const kv = /^([a-z_]+)=([^,\s]+),\s*/.exec(rest);
        if (kv && HEADER_KV.has(kv[1])) {
            const [, k, v] = kv;
            if (k === "cookie") f.cookie = normCookie(v);
            else if (k === "table") f.table = Number(v);
            else if (k === "idle_timeout") f.idleTimeout = Number(v);
            else if (k === "hard_timeout") f.hardTimeout = Number(v);
            else if (k === "importance") f.importance = Number(v);
            rest = rest.slice(kv[0].length);
            continue;
        }
        const flag = /^([a-z_]+)(\s+|$)/.exec(rest);
        if (flag && HEADER_FLAGS.has(flag[1])) {
            f.flags.push(flag[1]);
            rest = rest.slice(flag[0].length);
            continue;
        }
        break;
    }
    // A catch-all match at default priority leaves a trailing "key=value," header pair only.
    let match = rest.trim().replace(/,$/, "");
    const pr = /^priority=(\d+)(,|$)/.exec(match);
    if (pr) {
        f.priority = Number(pr[1]);
        match = match.slice(pr[0].length);
    }
    f.match = match;
    if (Number.isNaN(f.table) || Number.isNaN(f.priority) || /\s/.test(f.match)) throw new Error(`cannot parse dump-flows line: ${line}`);
    return f;
}

export function parseDumpFlows(out: string): DumpedFlow[] {
    const flows: DumpedFlow[] = [];
    for (const line of out.split("\n")) {
        if (!line.trim()) continue;
        const f = parseFlowLine(line);
        if (f) flows.push(f);
    }
    return flows;
}

// ---------------------------------------------------------------------------------------------
// Canonicalisation: what OVS makes of a flow, asked of OVS on a scratch bridge

/**
 * Adds the flows (stdin) to a throwaway bridge configured like the target (datapath type and
 * OpenFlow versions, so OVS encodes and prints them the same way), prints them back and removes
 * the bridge whatever happens. Nothing reaches the target bridge.
 */
export const SCRATCH_SCRIPT = [
    "set -e",
    "t=$1; s=$2; shift 2",
    'dp=$(ovs-vsctl --timeout=10 get Bridge "$t" datapath_type)',
    'pr=$(ovs-vsctl --timeout=10 get Bridge "$t" protocols)',
    "trap 'ovs-vsctl --timeout=10 --if-exists del-br \"$s\"' EXIT",
    'ovs-vsctl --timeout=10 add-br "$s" -- set Bridge "$s" datapath_type="$dp" protocols="$pr" fail_mode=secure external_ids:dvrlab-scratch=canonical',
    '"$@" add-flows "$s" -',
    '"$@" --no-stats dump-flows "$s"',
].join("\n");

export const canonicalise = (target: string, scratch: string): Argv => ["sh", "-c", SCRATCH_SCRIPT, "dvrlab-canonicalise", target, scratch, ...OFCTL];

// ---------------------------------------------------------------------------------------------
// Decisions

export type EnsureDecision = { kind: "write"; lines: string[]; note?: string } | { kind: "noop" } | { kind: "conflict"; message: string };

const describeFlow = (f: DumpedFlow) => `cookie=${f.cookie}, table=${f.table}, priority=${f.priority}${f.match ? `, ${f.match}` : ""} actions=${f.actions}`;

/**
 * Whether create/update must know OVS's canonical form of the desired flow to decide: when the
 * bridge holds our cookie already, or a flow of someone else (not this stack) in the same table at
 * the same priority that might be the same flow spelt differently. Flows of this stack are
 * checked after the write instead (findReplaced), so a stack on its own bridge never pays for it.
 */
export function needsCanonical(spec: FlowText, pre: readonly DumpedFlow[]): boolean {
    return pre.some((f) => f.cookie === spec.cookie || (f.table === spec.table && f.priority === spec.priority && !sameStack(f.cookie, spec.cookie)));
}

/**
 * Brings the bridge to `spec` given what it holds (`pre`) and OVS's canonical form of `spec`
 * (`canon`, needed when needsCanonical). A flow is identified on a bridge by table, priority
 * and match; the cookie says whose it is:
 *  - ours already and identical → nothing to do; ours with other actions → modify in place;
 *    ours but different (an interrupted earlier run) → replaced;
 *  - same identity, cookie 0 (made by hand, as in the seed) and identical → adopted (re-added
 *    with our cookie);
 *  - same identity otherwise (someone else's, or another resource of this stack) → conflict,
 *    nothing written.
 */
export function decideEnsure(spec: FlowText, pre: readonly DumpedFlow[], canon: DumpedFlow | undefined, bridge: string): EnsureDecision {
    const add = addLine(spec);
    if (!canon) return { kind: "write", lines: [add] };
    const sameId = (f: DumpedFlow) => f.table === spec.table && f.priority === spec.priority && f.match === canon.match;
    const sameTimeouts = (f: DumpedFlow) => f.idleTimeout === (spec.idleTimeout ?? 0) && f.hardTimeout === (spec.hardTimeout ?? 0);
    const ours = pre.filter((f) => f.cookie === spec.cookie);
    const other = pre.find((f) => f.cookie !== spec.cookie && sameId(f));
    if (other) {
        if (other.cookie === "0x0" && other.actions === canon.actions && sameTimeouts(other)) {
            return { kind: "write", lines: ours.length ? [deleteLine(spec.cookie), add] : [add], note: `adopted a hand-made flow ${describeFlow(other)}` };
        }
        return { kind: "conflict", message: conflictMessage(bridge, other, spec.cookie) };
    }
    if (ours.length === 1 && sameId(ours[0]) && sameTimeouts(ours[0])) {
        return ours[0].actions === canon.actions ? { kind: "noop" } : { kind: "write", lines: [modifyLine(spec)] };
    }
    return { kind: "write", lines: ours.length ? [deleteLine(spec.cookie), add] : [add] };
}

export function conflictMessage(bridge: string, other: DumpedFlow, cookie: string): string {
    const head = `bridge ${bridge} already has a flow with the same table, priority and match that is not ours: ${describeFlow(other)}`;
    if (sameStack(other.cookie, cookie)) {
        return `${head}; it belongs to another FlowEntry of this stack, and a flow can belong to one resource only (renamed it? give the new one \`aliases\` so Pulumi sees the same resource)`;
    }
    return (
        head +
        (other.cookie === "0x0" ? " (made by hand, with other actions or timeouts)" : "") +
        `; remove it, or give this FlowEntry its cookie (${other.cookie}) to take it over`
    );
}

/**
 * Writing without a canonical form first (see needsCanonical) relies on this check afterwards:
 * the flow of another resource of this stack that our add replaced (OVS replaces a flow with the
 * same table, priority and match), if any. Flows deleted in the same batch do not count.
 */
export function findReplaced(
    ours: DumpedFlow,
    pre: readonly DumpedFlow[],
    post: readonly DumpedFlow[],
    deletedCookies: ReadonlySet<string>,
): DumpedFlow | undefined {
    const key = (f: DumpedFlow) => `${f.cookie} ${f.table} ${f.priority} ${f.match}`;
    const after = new Set(post.map(key));
    return pre.find(
        (f) =>
            f.cookie !== ours.cookie &&
            !deletedCookies.has(f.cookie) &&
            f.table === ours.table &&
            f.priority === ours.priority &&
            f.match === ours.match &&
            !after.has(key(f)),
    );
}

/** Puts back a flow exactly as OVS printed it (dump text is valid add-flow input), and removes ours. */
export function restoreLines(f: DumpedFlow, ourCookie: string): string[] {
    const head = [`cookie=${f.cookie}`, `table=${f.table}`, `priority=${f.priority}`];
    if (f.idleTimeout) head.push(`idle_timeout=${f.idleTimeout}`);
    if (f.hardTimeout) head.push(`hard_timeout=${f.hardTimeout}`);
    if (f.importance) head.push(`importance=${f.importance}`);
    head.push(...f.flags);
    return [deleteLine(ourCookie), "add " + [...head, ...(f.match ? [f.match] : []), `actions=${f.actions}`].join(",")];
}

/**
 * An actions-only update of a flow we installed: `modify_strict` when the bridge still holds
 * exactly that flow (same table, priority and canonical match as stored), else undefined (the
 * caller converges through decideEnsure).
 */
export function decideModify(spec: FlowText, pre: readonly DumpedFlow[], storedMatch: string | undefined): EnsureDecision | undefined {
    if (storedMatch === undefined) return undefined;
    const ours = pre.filter((f) => f.cookie === spec.cookie);
    if (ours.length !== 1) return undefined;
    const f = ours[0];
    if (f.table !== spec.table || f.priority !== spec.priority || f.match !== storedMatch) return undefined;
    if (f.idleTimeout !== (spec.idleTimeout ?? 0) || f.hardTimeout !== (spec.hardTimeout ?? 0)) return undefined;
    return { kind: "write", lines: [modifyLine(spec)] };
}

/** Our flow in a dump: the one with the stored identity if several carry the cookie. */
export function findOurs(flows: readonly DumpedFlow[], cookie: string, want?: { table: number; priority: number; match?: string }): DumpedFlow | undefined {
    const ours = flows.filter((f) => f.cookie === cookie);
    if (ours.length <= 1 || !want) return ours[0];
    return ours.find((f) => f.table === want.table && f.priority === want.priority && (want.match === undefined || f.match === want.match)) ?? ours[0];
}

/**
 * The host's flow in input form for read/refresh: what still equals the canonical text stored at
 * our last write keeps the user's spelling (so preview after up shows nothing); what differs is
 * OVS's text (so the next preview shows the repair).
 */
export function toInputs<T extends FlowText & { ovsMatch: string; ovsActions: string }>(f: DumpedFlow, olds: T): T {
    const r: T = { ...olds, table: f.table, priority: f.priority };
    if (f.match !== olds.ovsMatch) r.match = f.match === "" ? undefined : f.match;
    if (f.actions !== olds.ovsActions) r.actions = f.actions;
    if (f.idleTimeout !== (olds.idleTimeout ?? 0)) r.idleTimeout = f.idleTimeout;
    if (f.hardTimeout !== (olds.hardTimeout ?? 0)) r.hardTimeout = f.hardTimeout;
    return r;
}
