// An OVS internal port living in a network namespace: what Neutron's OVSInterfaceDriver.plug does
// for a DHCP tap (qdhcp-…) and a router port (qr- in qrouter-…). Shared by DhcpServer, RouterPort,
// RouterNamespace and StaticNeighbors. The pure half: argv builders, one show script and its
// parser; port.ts runs them.
import { z } from "zod";
import { Argv } from "../ssh/quote";
import { optional, OWNER_KEY, rows, vsctl } from "../ovs/vsctl";

/**
 * A network namespace name (a file under /run/netns): Neutron's qrouter-<uuid> and qdhcp-<uuid>
 * are 43 characters; at most 63, no "/", no whitespace, not "." or "..".
 */
export const netnsName = z
    .string()
    .min(1)
    .max(63, "namespace names are at most 63 characters")
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' only, starting with a letter or digit");

/** What the port should be: on `bridge` with local VLAN `tag`, inside `namespace` with one IPv4 address. */
export interface NsPortSpec {
    bridge: string;
    name: string;
    namespace: string;
    tag: number;
    owner: string;
    mtu: number;
    /** address/prefix, e.g. 192.168.10.1/24 */
    address: string;
    /** Unset: whatever MAC the device has (OVS picks a random one). */
    mac?: string;
    /** TX checksum offload; unset = off without the kernel datapath, on with it. */
    txChecksum?: boolean;
}

export interface NsLink {
    up: boolean;
    mtu: number;
    mac: string;
    /** IPv4 address/prefix list. */
    addresses: string[];
}

export interface NsPortState {
    /** The OVS side (Port and Interface rows). */
    port?: { bridge: string; tag?: number; owner?: string; type: string; ofport?: number };
    /** The device inside the namespace. */
    link?: NsLink;
    /** The device is still in the host's namespace (never moved, or moved back). */
    inHostNamespace: boolean;
    txChecksum?: boolean;
}

export const planAddNamespace = (ns: string): Argv[] => [
    ["ip", "netns", "add", ns],
    ["ip", "-n", ns, "link", "set", "dev", "lo", "up"],
];

/** add-port as type internal with the local VLAN and our owner, or (exists) only tag and owner. */
export function planInternalPort(p: Pick<NsPortSpec, "bridge" | "name" | "tag" | "owner">, exists: boolean): Argv[] {
    const set = ["--", "set", "Port", p.name, `tag=${p.tag}`, `external_ids:${OWNER_KEY}=${JSON.stringify(p.owner)}`];
    return exists ? [vsctl(...set)] : [vsctl("--", "add-port", p.bridge, p.name, "--", "set", "Interface", p.name, "type=internal", ...set)];
}

export const planDeleteInternalPort = (bridge: string, name: string): Argv[] => [vsctl("--if-exists", "del-port", bridge, name)];

/**
 * Moves the device into the namespace, then its MAC, MTU, address, state and offload there, each
 * only when it differs. `moved`/`readdressed` tell a caller whose daemon binds to the device.
 */
export function planNsLink(
    p: Pick<NsPortSpec, "namespace" | "name" | "mtu" | "address" | "mac">,
    st: { inHostNamespace: boolean; link?: NsLink },
    txChecksum: boolean,
    txNow?: boolean,
): { cmds: Argv[]; moved: boolean; readdressed: boolean } {
    const { namespace: ns, name } = p;
    const cmds: Argv[] = [];
    if (st.inHostNamespace) cmds.push(["ip", "link", "set", "dev", name, "netns", ns]);
    const link = st.inHostNamespace ? undefined : st.link;
    // tap and OVS internal devices take a new MAC while up (IFF_LIVE_ADDR_CHANGE).
    if (p.mac !== undefined && link?.mac !== p.mac) cmds.push(["ip", "-n", ns, "link", "set", "dev", name, "address", p.mac]);
    if (link?.mtu !== p.mtu) cmds.push(["ip", "-n", ns, "link", "set", "dev", name, "mtu", String(p.mtu)]);
    const addrs = link?.addresses ?? [];
    const readdressed = addrs.length !== 1 || addrs[0] !== p.address;
    if (readdressed) {
        if (addrs.length) cmds.push(["ip", "-n", ns, "-4", "addr", "flush", "dev", name]);
        cmds.push(["ip", "-n", ns, "addr", "add", p.address, "dev", name]);
    }
    if (!link?.up) cmds.push(["ip", "-n", ns, "link", "set", "dev", name, "up"]);
    if (txNow !== txChecksum || st.inHostNamespace) cmds.push(["ip", "netns", "exec", ns, "ethtool", "-K", name, "tx", txChecksum ? "on" : "off"]);
    return { cmds, moved: st.inHostNamespace, readdressed };
}

/**
 * Shell lines (with `$ns` and `$port` set) printing sections @@port (bridge, Port and Interface
 * rows), @@link (the device in the namespace), @@hostlink (the device in the host's namespace)
 * and @@tx (tx-checksumming in the namespace).
 */
export const NS_PORT_SHOW: readonly string[] = [
    "echo @@port",
    'if br=$(ovs-vsctl --timeout=10 port-to-br "$port" 2>/dev/null); then echo "$br";',
    '  ovs-vsctl --timeout=10 --format=json --columns=tag,external_ids find Port name="\\"$port\\""',
    '  ovs-vsctl --timeout=10 --format=json --columns=type,ofport find Interface name="\\"$port\\""; fi',
    "echo @@link",
    'if [ -e "/run/netns/$ns" ]; then ip -n "$ns" -j addr show dev "$port" 2>/dev/null || echo "[]"; else echo "[]"; fi',
    "echo @@hostlink",
    'ip -j link show dev "$port" 2>/dev/null || echo "[]"',
    "echo @@tx",
    'if [ -e "/run/netns/$ns" ]; then ip netns exec "$ns" ethtool -k "$port" 2>/dev/null | sed -n "s/^tx-checksumming: \\([a-z]*\\).*/\\1/p"; fi',
];

/** The output of a script printing `@@name` headers, by section. */
export function sections(out: string): Map<string, string> {
    const m = new Map<string, string>();
    let cur: string | undefined;
    const buf: string[] = [];
    const flush = () => {
        if (cur !== undefined) m.set(cur, buf.join("\n"));
        buf.length = 0;
    };
    for (const line of out.split("\n")) {
        const h = line.match(/^@@([a-z]+)$/);
        if (h) {
            flush();
            cur = h[1];
        } else buf.push(line);
    }
    flush();
    return m;
}

export function parseNsPort(s: Map<string, string>): NsPortState {
    const st: NsPortState = { inHostNamespace: false };
    const portLines = (s.get("port") ?? "").split("\n").filter((l) => l.trim());
    if (portLines.length >= 3) {
        const p = rows(portLines[1])[0];
        const i = rows(portLines[2])[0];
        if (p && i) {
            const ofport = optional<number>(i.ofport);
            st.port = { bridge: portLines[0].trim(), tag: optional<number>(p.tag), owner: (p.external_ids ?? {})[OWNER_KEY], type: i.type || "system" };
            if (ofport !== undefined && ofport > 0) st.port.ofport = ofport;
        }
    }
    const link = (JSON.parse((s.get("link") ?? "").trim() || "[]") as any[])[0];
    if (link) {
        st.link = {
            up: (link.flags ?? []).includes("UP"),
            mtu: link.mtu,
            mac: String(link.address ?? "").toLowerCase(),
            addresses: (link.addr_info ?? []).filter((a: any) => a.family === "inet").map((a: any) => `${a.local}/${a.prefixlen}`),
        };
    }
    st.inHostNamespace = ((JSON.parse((s.get("hostlink") ?? "").trim() || "[]") as any[]).length ?? 0) > 0;
    const tx = s.get("tx")?.trim();
    if (tx === "on" || tx === "off") st.txChecksum = tx === "on";
    return st;
}
