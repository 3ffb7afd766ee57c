import { Argv } from "../ssh/quote";
import { OWNER_KEY, vsctl } from "../ovs/vsctl";
import { planAddNamespace, sections } from "../netns/planner";
import { RouterNamespaceSpec } from "./schema";

// The owner mark is the ifalias of the namespace's own loopback: it lives and dies with the
// namespace, so a namespace deleted by hand and re-made by someone else never inherits it, and
// there is no marker file to leave behind or to go stale (LinuxBridge marks its bridge the same way).

/** The sysctls a RouterNamespace keeps, by input field. */
export const SYSCTLS = {
    ipForward: "net.ipv4.ip_forward",
    arpIgnore: "net.ipv4.conf.all.arp_ignore",
    arpAnnounce: "net.ipv4.conf.all.arp_announce",
} as const;
type SysctlField = keyof typeof SYSCTLS;
const FIELDS = Object.keys(SYSCTLS) as SysctlField[];

export interface NamespaceState {
    /** lo's ifalias: the owner mark. */
    owner?: string;
    sysctls: Partial<Record<SysctlField, number>>;
    /** Devices other than lo, with the dvrlab owner of the OVS port of that name ("" if not ours to tell). */
    devices: { name: string; owner: string }[];
}

/** Everything about the namespace in one round trip; prints nothing after @@ns no when it is missing. */
export const showNamespace = (name: string): Argv => [
    "sh",
    "-c",
    [
        "ns=$1",
        'echo @@ns; if [ -e "/run/netns/$ns" ]; then echo yes; else echo no; exit 0; fi',
        'echo @@lo; ip -n "$ns" -j link show dev lo',
        `echo @@sysctl; ip netns exec "$ns" sysctl -n ${FIELDS.map((f) => SYSCTLS[f]).join(" ")}`,
        "echo @@devices",
        'ip -n "$ns" -o link show | sed -n "s/^[0-9]*: \\([^:@ ]*\\).*/\\1/p" | while read -r d; do',
        '  [ "$d" = lo ] && continue',
        `  o=$(ovs-vsctl --timeout=10 --if-exists get Port "$d" external_ids:${OWNER_KEY} 2>/dev/null) || o=`,
        '  printf "%s %s\\n" "$d" "$o"',
        "done",
    ].join("\n"),
    "sh",
    name,
];

export function parseNamespace(out: string): NamespaceState | undefined {
    const s = sections(out);
    if (s.get("ns")?.trim() !== "yes") return undefined;
    const lo = (JSON.parse((s.get("lo") ?? "").trim() || "[]") as any[])[0];
    const values = (s.get("sysctl") ?? "").split("\n").filter((l) => l.trim());
    const sysctls: NamespaceState["sysctls"] = {};
    FIELDS.forEach((f, i) => {
        if (values[i] !== undefined && /^\d+$/.test(values[i].trim())) sysctls[f] = Number(values[i].trim());
    });
    const devices = (s.get("devices") ?? "")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
            const [name, o = ""] = l.trim().split(/\s+/, 2);
            return { name, owner: o.replace(/^"(.*)"$/, "$1") };
        });
    const st: NamespaceState = { sysctls, devices };
    if (lo?.ifalias) st.owner = lo.ifalias;
    return st;
}

/** The value each sysctl should have. */
export function wantedSysctls(p: RouterNamespaceSpec): Record<SysctlField, number> {
    return { ipForward: p.ipForward ? 1 : 0, arpIgnore: p.arpIgnore, arpAnnounce: p.arpAnnounce };
}

/** Creates the namespace, marked ours, with its sysctls. */
export function planCreate(p: RouterNamespaceSpec): Argv[] {
    return [...planAddNamespace(p.name), ...planConverge({ sysctls: {}, devices: [] }, p)];
}

/** Marks it ours and sets the sysctls that differ. */
export function planConverge(cur: NamespaceState, p: RouterNamespaceSpec): Argv[] {
    const cmds: Argv[] = [];
    if (cur.owner !== p.owner) cmds.push(["ip", "-n", p.name, "link", "set", "dev", "lo", "alias", p.owner]);
    const want = wantedSysctls(p);
    const set = FIELDS.filter((f) => cur.sysctls[f] !== want[f]).map((f) => `${SYSCTLS[f]}=${want[f]}`);
    if (set.length) cmds.push(["ip", "netns", "exec", p.name, "sysctl", "-q", "-w", ...set]);
    return cmds;
}

/**
 * Neutron's RouterNamespace.delete: our OVS ports still inside (qr- ports whose RouterPort was
 * not deleted first) are unplugged, then the namespace goes. Anything else inside is refused by
 * the caller before this runs.
 */
export function planDelete(name: string, ourPorts: string[]): Argv[] {
    return [...ourPorts.map((d) => vsctl("--if-exists", "del-port", d)), ["ip", "netns", "delete", name]];
}

/** Host state in input form. */
export function toInputs(cur: NamespaceState, olds: RouterNamespaceSpec): RouterNamespaceSpec {
    const r: RouterNamespaceSpec = { ...olds, owner: cur.owner ?? "" };
    if (cur.sysctls.ipForward !== undefined) r.ipForward = cur.sysctls.ipForward === 1;
    if (cur.sysctls.arpIgnore !== undefined) r.arpIgnore = cur.sysctls.arpIgnore;
    if (cur.sysctls.arpAnnounce !== undefined) r.arpAnnounce = cur.sysctls.arpAnnounce;
    return r;
}
