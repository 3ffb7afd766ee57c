import { Argv } from "../ssh/quote";
import { sections } from "../netns/planner";
import { ipToInt } from "../net/ipv4";
import { NeighborEntry, StaticNeighborsSpec } from "./schema";

export interface NeighborState {
    namespace: boolean;
    device: boolean;
    /** Every IPv4 neighbor of the device, permanent or learnt. */
    neighbors: { ip: string; mac?: string; permanent: boolean }[];
}

type Where = Pick<StaticNeighborsSpec, "namespace" | "device">;

const ip = (w: Where): string[] => (w.namespace ? ["ip", "-n", w.namespace] : ["ip"]);

/** Namespace, device and its IPv4 neighbors in one round trip. */
export const showNeighbors = (w: Where): Argv => [
    "sh",
    "-c",
    [
        "ns=$1; dev=$2",
        'echo @@ns; if [ -z "$ns" ] || [ -e "/run/netns/$ns" ]; then echo yes; else echo no; exit 0; fi',
        'if [ -n "$ns" ]; then set -- ip -n "$ns"; else set -- ip; fi',
        'echo @@dev; if "$@" link show dev "$dev" >/dev/null 2>&1; then echo yes; else echo no; exit 0; fi',
        'echo @@neigh; "$@" -j -4 neigh show dev "$dev"',
    ].join("\n"),
    "sh",
    w.namespace ?? "",
    w.device,
];

export function parseNeighbors(out: string): NeighborState {
    const s = sections(out);
    const st: NeighborState = { namespace: s.get("ns")?.trim() === "yes", device: s.get("dev")?.trim() === "yes", neighbors: [] };
    const list = JSON.parse((s.get("neigh") ?? "").trim() || "[]") as any[];
    st.neighbors = list.map((n) => ({ ip: n.dst, mac: n.lladdr?.toLowerCase(), permanent: (n.state ?? []).includes("PERMANENT") }));
    return st;
}

/** The permanent entries present among `ips` (sorted): what read reports. */
export function permanentAmong(st: NeighborState, ips: Iterable<string>): NeighborEntry[] {
    const want = new Set(ips);
    return st.neighbors
        .filter((n) => n.permanent && n.mac && want.has(n.ip))
        .map((n) => ({ ip: n.ip, mac: n.mac! }))
        .sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip));
}

/** Permanent entries for addresses we do not (yet) manage, with another MAC: someone else's. */
export function foreignConflicts(st: NeighborState, wanted: NeighborEntry[], ours: NeighborEntry[]): string[] {
    const mine = new Set(ours.map((e) => e.ip));
    const byIp = new Map(st.neighbors.filter((n) => n.permanent).map((n) => [n.ip, n.mac]));
    return wanted
        .filter((e) => !mine.has(e.ip) && byIp.has(e.ip) && byIp.get(e.ip) !== e.mac)
        .map((e) => `${e.ip} is permanent at ${byIp.get(e.ip)} (want ${e.mac})`);
}

/**
 * The exact change from the host's state to `wanted`: entries missing or different are replaced
 * (a learnt entry for the address is overwritten), entries of `ours` no longer wanted are deleted
 * if they are still what we set. One `ip -batch` on stdin; undefined when nothing changes.
 */
export function planChange(w: Where, st: NeighborState, wanted: NeighborEntry[], ours: NeighborEntry[]): { argv: Argv; stdin: string } | undefined {
    const perm = new Map(st.neighbors.filter((n) => n.permanent).map((n) => [n.ip, n.mac]));
    const keep = new Set(wanted.map((e) => e.ip));
    const lines = [
        ...ours.filter((e) => !keep.has(e.ip) && perm.get(e.ip) === e.mac).map((e) => `neigh del ${e.ip} dev ${w.device}`),
        ...wanted.filter((e) => perm.get(e.ip) !== e.mac).map((e) => `neigh replace ${e.ip} lladdr ${e.mac} dev ${w.device} nud permanent`),
    ];
    return lines.length ? { argv: [...ip(w), "-batch", "-"], stdin: lines.join("\n") + "\n" } : undefined;
}
