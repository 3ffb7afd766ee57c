import { Argv, shellJoin } from "../ssh/quote";
import { NetnsGuestSpec } from "./schema";

export interface GuestState {
    /** The namespace exists. */
    netns: boolean;
    tap?: { isVeth: boolean; alias?: string; master?: string; up: boolean; mtu: number; txOff: boolean; peerInNs: boolean };
    nic?: { mac: string; mtu: number; up: boolean; addresses: string[] };
    /** The default route's next hop, when the namespace has one. */
    gateway?: string;
}

/**
 * Everything about one guest in one round trip: sections @@netns (yes/no), @@tap (ip -j -d link
 * or null, then the tx-checksumming word), @@nic (ip -j addr of the guest's NIC or null), @@route
 * (ip -j route show default, or null).
 */
export const showGuest = (g: Pick<NetnsGuestSpec, "name" | "tap" | "guestIf">): Argv => [
    "sh",
    "-c",
    [
        "ns=$1 tap=$2 nic=$3",
        'echo @@netns; if [ -e "/run/netns/$ns" ]; then echo yes; else echo no; fi',
        'echo @@tap; ip -d -j link show dev "$tap" 2>/dev/null || echo null',
        'ethtool -k "$tap" 2>/dev/null | sed -n "s/^tx-checksumming: \\([a-z]*\\).*/\\1/p"',
        'echo @@nic; if [ -e "/run/netns/$ns" ]; then ip -n "$ns" -j addr show dev "$nic" 2>/dev/null || echo null; else echo null; fi',
        'echo @@route; if [ -e "/run/netns/$ns" ]; then ip -n "$ns" -j route show default 2>/dev/null || echo null; else echo null; fi',
        "exit 0",
    ].join("\n"),
    "sh",
    g.name,
    g.tap,
    g.guestIf,
];

export function parseGuest(out: string): GuestState {
    const sec: Record<string, string[]> = {};
    let cur = "";
    for (const l of out.split("\n")) {
        if (l.startsWith("@@")) sec[(cur = l.slice(2))] = [];
        else if (cur && l.trim()) sec[cur].push(l);
    }
    const st: GuestState = { netns: sec.netns?.[0] === "yes" };
    const tapJson = JSON.parse(sec.tap?.[0] ?? "null");
    const t = Array.isArray(tapJson) ? tapJson[0] : undefined;
    if (t) {
        st.tap = {
            isVeth: t.linkinfo?.info_kind === "veth",
            alias: t.ifalias,
            master: t.master,
            up: (t.flags ?? []).includes("UP"),
            mtu: t.mtu,
            txOff: (sec.tap[1] ?? "").trim() === "off",
            // a peer in another namespace is printed with link_netnsid
            peerInNs: t.link_netnsid !== undefined,
        };
    }
    const nicJson = JSON.parse(sec.nic?.[0] ?? "null");
    const n = Array.isArray(nicJson) ? nicJson[0] : undefined;
    if (n) {
        st.nic = {
            mac: String(n.address ?? "").toLowerCase(),
            mtu: n.mtu,
            up: (n.flags ?? []).includes("UP"),
            addresses: (n.addr_info ?? []).filter((a: any) => a.family === "inet").map((a: any) => `${a.local}/${a.prefixlen}`),
        };
    }
    const route = JSON.parse(sec.route?.[0] ?? "null");
    const gw = Array.isArray(route) ? route.find((r: any) => r.gateway)?.gateway : undefined;
    if (gw) st.gateway = gw;
    return st;
}

/** The namespace, the veth (host end = tap, guest end moved in), MAC, address, MTU, tx off, up. */
export function planCreate(g: NetnsGuestSpec): Argv[] {
    const { name: ns, tap, guestIf: nic } = g;
    const cmds: Argv[] = [
        ["ip", "netns", "add", ns],
        ["ip", "-n", ns, "link", "set", "dev", "lo", "up"],
        ["ip", "link", "add", "name", tap, "mtu", String(g.mtu), "type", "veth", "peer", "name", nic, "netns", ns],
        ["ip", "link", "set", "dev", tap, "alias", g.owner],
        // OVS's userspace datapath forwards unfinished checksums: off on both ends
        ["ethtool", "-K", tap, "tx", "off"],
        ["ip", "netns", "exec", ns, "ethtool", "-K", nic, "tx", "off"],
        ["ip", "-n", ns, "link", "set", "dev", nic, "address", g.mac, "mtu", String(g.mtu)],
        ["ip", "-n", ns, "addr", "add", g.address, "dev", nic],
        ["ip", "-n", ns, "link", "set", "dev", nic, "up"],
    ];
    if (g.gateway) cmds.push(["ip", "-n", ns, "route", "replace", "default", "via", g.gateway, "dev", nic]);
    if (g.bridge) cmds.push(["ip", "link", "set", "dev", tap, "master", g.bridge]);
    cmds.push(["ip", "link", "set", "dev", tap, "up"]);
    return cmds;
}

/** A plan as one `sh -c` script (set -e): one SSH round trip instead of one per command. */
export function asScript(plan: readonly Argv[]): Argv {
    return ["sh", "-c", ["set -e", ...plan.map(shellJoin)].join("\n")];
}

/** What differs from the inputs, as commands (the namespace and the pair exist). */
export function planConverge(st: GuestState, g: NetnsGuestSpec): Argv[] {
    const { name: ns, tap, guestIf: nic } = g;
    const cmds: Argv[] = [];
    const t = st.tap!;
    const n = st.nic!;
    if (t.alias !== g.owner) cmds.push(["ip", "link", "set", "dev", tap, "alias", g.owner]);
    if (!t.txOff) cmds.push(["ethtool", "-K", tap, "tx", "off"]);
    if (t.mtu !== g.mtu) cmds.push(["ip", "link", "set", "dev", tap, "mtu", String(g.mtu)]);
    if (n.mac !== g.mac || n.mtu !== g.mtu) cmds.push(["ip", "-n", ns, "link", "set", "dev", nic, "address", g.mac, "mtu", String(g.mtu)]);
    for (const a of n.addresses) if (a !== g.address) cmds.push(["ip", "-n", ns, "addr", "del", a, "dev", nic]);
    if (!n.addresses.includes(g.address)) cmds.push(["ip", "-n", ns, "addr", "add", g.address, "dev", nic]);
    if (!n.up) cmds.push(["ip", "-n", ns, "link", "set", "dev", nic, "up"]);
    if (st.gateway !== g.gateway)
        cmds.push(g.gateway ? ["ip", "-n", ns, "route", "replace", "default", "via", g.gateway, "dev", nic] : ["ip", "-n", ns, "route", "del", "default"]);
    if ((t.master ?? undefined) !== g.bridge)
        cmds.push(g.bridge ? ["ip", "link", "set", "dev", tap, "master", g.bridge] : ["ip", "link", "set", "dev", tap, "nomaster"]);
    if (!t.up) cmds.push(["ip", "link", "set", "dev", tap, "up"]);
    return cmds;
}

/** Deleting the namespace deletes the guest end and so the pair; then the tap if it is left. */
export const planDelete = (g: Pick<NetnsGuestSpec, "name" | "tap">): Argv[] => [
    [
        "sh",
        "-c",
        'if [ -e "/run/netns/$1" ]; then ip netns delete "$1"; fi; if ip link show dev "$2" >/dev/null 2>&1; then ip link del dev "$2"; fi; true',
        "sh",
        g.name,
        g.tap,
    ],
];

/** The real state in input form (for read). */
export function toInputs(st: GuestState, olds: NetnsGuestSpec): NetnsGuestSpec {
    const n = st.nic!;
    const r: NetnsGuestSpec = { ...olds, owner: st.tap!.alias ?? "", mac: n.mac, mtu: n.mtu };
    r.address = n.addresses.includes(olds.address) && n.addresses.length === 1 ? olds.address : (n.addresses[0] ?? "0.0.0.0/32");
    if (st.gateway) r.gateway = st.gateway;
    else delete r.gateway;
    if (st.tap!.master) r.bridge = st.tap!.master;
    else delete r.bridge;
    return r;
}
