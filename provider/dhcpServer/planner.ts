import { isDeepStrictEqual } from "util";
import { Argv } from "../ssh/quote";
import { NS_PORT_SHOW, NsPortState, parseNsPort, planAddNamespace, planDeleteInternalPort, planInternalPort, planNsLink, sections } from "../netns/planner";
import { subnetOf } from "../net/ipv4";
import { DhcpServerSpec, namespaceOf, portOf } from "./schema";
import { dhcpFiles } from "../host/paths";

/** The dnsmasq of Neutron's DHCP agent for one network: its argv, exactly. */
export function dnsmasqArgs(d: DhcpServerSpec): string[] {
    const f = dhcpFiles(d.network);
    const s = subnetOf(d.address);
    const a = [
        "dnsmasq",
        "--no-hosts",
        "--no-resolv",
        "--conf-file=/dev/null",
        `--pid-file=${f.pid}`,
        `--dhcp-hostsfile=${f.hosts}`,
        `--addn-hosts=${f.addnHosts}`,
        `--dhcp-leasefile=${f.leases}`,
        `--log-facility=${f.log}`,
        `--interface=${portOf(d)}`,
        "--except-interface=lo",
        "--bind-interfaces",
        "--local-service",
        // Static: only MACs listed in the hosts file get an address (Neutron's mode).
        `--dhcp-range=set:${d.network},${s.network},static,${s.netmask},${d.leaseTime}s`,
        `--dhcp-option-force=option:mtu,${d.mtu}`,
        // dnsmasq offers its own address as router unless told otherwise.
        d.router ? `--dhcp-option=option:router,${d.router}` : "--dhcp-option=3",
    ];
    if (d.dnsServers) a.push(`--dhcp-option=option:dns-server,${d.dnsServers.join(",")}`);
    a.push(`--domain=${d.domain}`);
    return a;
}

/** What the argv of a running dnsmasq says, in input form (undefined where it says nothing). */
export function parseDnsmasqArgs(argv: string[]): Partial<Pick<DhcpServerSpec, "mtu" | "leaseTime" | "router" | "dnsServers" | "domain">> {
    const r: ReturnType<typeof parseDnsmasqArgs> = {};
    for (const a of argv) {
        let m: RegExpMatchArray | null;
        if ((m = a.match(/^--dhcp-option-force=option:mtu,(\d+)$/))) r.mtu = Number(m[1]);
        else if ((m = a.match(/^--dhcp-range=[^,]*,[^,]+,static,[^,]+,(\d+)s$/))) r.leaseTime = Number(m[1]);
        else if ((m = a.match(/^--dhcp-option=option:router,(.+)$/))) r.router = m[1];
        else if ((m = a.match(/^--dhcp-option=option:dns-server,(.+)$/))) r.dnsServers = m[1].split(",");
        else if ((m = a.match(/^--domain=(.+)$/))) r.domain = m[1];
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Reading the whole server in one round trip

export const showServer = (d: Pick<DhcpServerSpec, "network" | "port">): Argv => {
    const f = dhcpFiles(d.network);
    return [
        "sh",
        "-c",
        [
            "ns=$1; port=$2; dir=$3; pidf=$4",
            'echo @@ns; if [ -e "/run/netns/$ns" ]; then echo yes; else echo no; fi',
            ...NS_PORT_SHOW,
            "echo @@owner",
            'cat "$dir/owner" 2>/dev/null || true',
            "echo @@dir",
            'if [ -d "$dir" ]; then echo yes; else echo no; fi',
            "echo @@pid",
            'pid=$(cat "$pidf" 2>/dev/null) || pid=',
            'case $pid in ""|*[!0-9]*) ;; *) if [ -r "/proc/$pid/cmdline" ]; then',
            '  echo "$pid"; echo @@pidns; ip netns identify "$pid" 2>/dev/null || true',
            '  echo @@cmdline; tr "\\0" "\\n" <"/proc/$pid/cmdline"; fi;; esac',
            "exit 0",
        ].join("\n"),
        "sh",
        namespaceOf(d.network),
        portOf(d),
        f.dir,
        f.pid,
    ];
};

export interface ServerState extends NsPortState {
    namespace: boolean;
    owner?: string;
    dir: boolean;
    dnsmasq?: { pid: number; namespace: string; argv: string[] };
}

export function parseServer(out: string): ServerState {
    const s = sections(out);
    const st: ServerState = { ...parseNsPort(s), namespace: s.get("ns")?.trim() === "yes", dir: s.get("dir")?.trim() === "yes" };
    const owner = s.get("owner")?.trim();
    if (owner) st.owner = owner;
    const pid = Number(s.get("pid")?.trim());
    if (pid > 0 && s.has("cmdline")) {
        st.dnsmasq = {
            pid,
            namespace: (s.get("pidns") ?? "").trim().split("\n")[0] ?? "",
            argv: (s.get("cmdline") ?? "").split("\n").filter((a, i, all) => i < all.length - 1 || a !== ""),
        };
    }
    return st;
}

/** The pid file's process is our dnsmasq (started with our pid file), wherever it runs now: ours to stop. */
export function isOurDnsmasq(st: ServerState, d: Pick<DhcpServerSpec, "network">): boolean {
    const p = st.dnsmasq;
    if (!p) return false;
    const prog = p.argv[0] ?? "";
    return (prog === "dnsmasq" || prog.endsWith("/dnsmasq")) && p.argv.includes(`--pid-file=${dhcpFiles(d.network).pid}`);
}

/**
 * Ours and in our namespace. After `ip netns delete qdhcp-…` dnsmasq lives on in the now unnamed
 * namespace, serving nothing: it must be stopped, not kept.
 */
export function isServing(st: ServerState, d: Pick<DhcpServerSpec, "network">): boolean {
    return isOurDnsmasq(st, d) && st.dnsmasq!.namespace === namespaceOf(d.network);
}

/** The server's live state in input form; values only a running dnsmasq can tell keep the old ones when it is not running. */
export function toInputs(st: ServerState, olds: DhcpServerSpec): DhcpServerSpec {
    const r: DhcpServerSpec = { ...olds, owner: st.port?.owner ?? st.owner ?? "" };
    if (st.port) {
        r.bridge = st.port.bridge;
        if (st.port.tag !== undefined) r.tag = st.port.tag;
        else r.tag = -1; // an untagged (trunk) port: drift, shown as an impossible tag
    }
    // No port or no device (deleted by hand, or the namespace with it): no address either, which
    // is the drift the diff shows; update re-adds the port in place (keeping the hosts files).
    r.address = st.link?.addresses.find((a) => a === olds.address) ?? st.link?.addresses[0] ?? "";
    if (st.txChecksum !== undefined) r.txChecksum = st.txChecksum;
    const ours = isOurDnsmasq(st, olds);
    if (ours) {
        const seen = parseDnsmasqArgs(st.dnsmasq!.argv);
        if (seen.mtu !== undefined) r.mtu = seen.mtu;
        if (seen.leaseTime !== undefined) r.leaseTime = seen.leaseTime;
        if (seen.domain !== undefined) r.domain = seen.domain;
        if (seen.router !== undefined) r.router = seen.router;
        else delete r.router;
        if (seen.dnsServers !== undefined) r.dnsServers = seen.dnsServers;
        else delete r.dnsServers;
    }
    // Running means serving what these inputs ask for: anything else in its argv is not ours to keep.
    r.running = isServing(st, olds) && isDeepStrictEqual(st.dnsmasq!.argv, dnsmasqArgs({ ...r, address: r.address.includes("/") ? r.address : olds.address }));
    return r;
}

// ---------------------------------------------------------------------------------------------
// Commands

/** Files first (DhcpLease may already write there), without truncating what exists. */
export function planFiles(d: DhcpServerSpec): Argv[] {
    const f = dhcpFiles(d.network);
    return [
        ["mkdir", "-p", "-m", "0755", f.dir],
        [
            "sh",
            "-c",
            'umask 022; printf "%s\\n" "$2" >"$1/owner.tmp" && mv -f "$1/owner.tmp" "$1/owner"; touch "$1/host" "$1/addn_hosts"',
            "sh",
            f.dir,
            d.owner,
        ],
    ];
}

export const planNamespace = (network: string): Argv[] => planAddNamespace(namespaceOf(network));

export function planPort(d: DhcpServerSpec, exists: boolean): Argv[] {
    return planInternalPort({ bridge: d.bridge, name: portOf(d), tag: d.tag, owner: d.owner }, exists);
}

/** Moves the port into the namespace, then its MTU, address and state there; `rebind`: dnsmasq must restart. */
export function planLink(
    d: DhcpServerSpec,
    st: { inHostNamespace: boolean; link?: ServerState["link"] },
    txChecksum: boolean,
    txNow?: boolean,
): { cmds: Argv[]; rebind: boolean } {
    const r = planNsLink(nsPortOf(d), st, txChecksum, txNow);
    return { cmds: r.cmds, rebind: r.moved || r.readdressed };
}

/** The server's port as a namespaced OVS internal port. */
export function nsPortOf(d: DhcpServerSpec) {
    return { bridge: d.bridge, name: portOf(d), namespace: namespaceOf(d.network), tag: d.tag, owner: d.owner, mtu: d.mtu, address: d.address };
}

/** Starts dnsmasq in the namespace; its own startup errors come back on stderr. */
export function planStartDnsmasq(d: DhcpServerSpec): Argv {
    const f = dhcpFiles(d.network);
    return [
        "sh",
        "-c",
        'ns=$1; err=$2; shift 2; ip netns exec "$ns" "$@" </dev/null >/dev/null 2>"$err" || { rc=$?; cat "$err" >&2; exit $rc; }',
        "sh",
        namespaceOf(d.network),
        f.err,
        ...dnsmasqArgs(d),
    ];
}

/** Stops our dnsmasq by pid (only if that pid is still it), bounded: TERM, then KILL. */
export function planStopDnsmasq(pid: number, pidFile: string): Argv {
    return [
        "sh",
        "-c",
        [
            "pid=$1; pidf=$2",
            'ours() { [ -r "/proc/$pid/cmdline" ] && tr "\\0" "\\n" <"/proc/$pid/cmdline" | grep -qxF -- "--pid-file=$pidf"; }',
            "ours || exit 0",
            'kill -TERM "$pid" 2>/dev/null || true',
            "i=0; while ours && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done",
            'if ours; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi',
            'if ours; then echo "dnsmasq $pid did not exit" >&2; exit 1; fi',
            'rm -f "$pidf"',
        ].join("\n"),
        "sh",
        String(pid),
        pidFile,
    ];
}

export const planDeletePort = planDeleteInternalPort;
export const planDeleteNamespace = (network: string): Argv[] => [["ip", "netns", "delete", namespaceOf(network)]];

/** Our files, by name; the directory only if nothing else is left in it. */
export function planDeleteFiles(network: string): Argv[] {
    const f = dhcpFiles(network);
    return [
        ["rm", "-f", "--", f.hosts, f.addnHosts, f.leases, f.pid, f.log, f.err, f.owner, f.lock, `${f.hosts}.tmp`, `${f.addnHosts}.tmp`],
        ["sh", "-c", 'if [ -d "$1" ]; then rmdir -- "$1"; fi', "sh", f.dir],
    ];
}
