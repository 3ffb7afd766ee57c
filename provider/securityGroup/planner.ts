// Neutron's hybrid iptables firewall for one VM port (OVSHybridIptablesFirewallDriver,
// neutron/agent/linux/iptables_firewall.py): bridged traffic on the VM's qbr is matched with physdev
// on its tap. Three chains per port, as Neutron's i/o/s: ingress (to the VM) and egress (from it)
// ACCEPT what they allow and DROP the rest, so the host's FORWARD policy (DROP under Docker, ufw,
// firewalld) never decides a VM's traffic; the source chain lets only the port's own IP/MAC pair
// through. Neutron's per-port chains RETURN into a shared chain that ends in ACCEPT; here each port
// ACCEPTs itself, which is the same as long as a bridge carries one VM tap (Nova's hybrid plug: tap
// and qvb in the VM's own qbr), and needs no chain shared between resources.
import { Argv } from "../ssh/quote";
import { Rule, SecurityGroupSpec } from "./schema";

export const chains = (portId: string) => ({ ingress: `dvrl-i-${portId}`, egress: `dvrl-o-${portId}`, source: `dvrl-s-${portId}` });

type Port = Pick<SecurityGroupSpec, "portId" | "tap">;
type Pair = Pick<SecurityGroupSpec, "ip" | "mac">;

/** The FORWARD jumps, as `iptables -S` prints them; the comment marks them as ours. */
export function jumps(s: Port): string[] {
    const c = chains(s.portId);
    return [
        `-A FORWARD -m physdev --physdev-out ${s.tap} --physdev-is-bridged -m comment --comment ${commentOf(s.portId)} -j ${c.ingress}`,
        `-A FORWARD -m physdev --physdev-in ${s.tap} --physdev-is-bridged -m comment --comment ${commentOf(s.portId)} -j ${c.egress}`,
    ];
}

const commentOf = (portId: string) => `dvrlab-sg-${portId}`;

export type Direction = "ingress" | "egress";

/** One allow rule: the remote end is the source of ingress traffic and the destination of egress. */
export function ruleLine(chain: string, r: Rule, direction: Direction): string {
    const parts = [`-A ${chain}`];
    if (r.remoteCidr !== "0.0.0.0/0") parts.push(`${direction === "ingress" ? "-s" : "-d"} ${r.remoteCidr}`);
    if (r.protocol !== "any") parts.push(`-p ${r.protocol}`);
    if (r.port !== undefined) parts.push(`-m ${r.protocol} --dport ${r.port}`);
    parts.push("-j ACCEPT");
    return parts.join(" ");
}

/** Rules every ingress chain starts with (before the group's allow rules). */
export function ingressHead(chain: string, ip: string): string[] {
    return [
        `-A ${chain} -m state --state RELATED,ESTABLISHED -j ACCEPT`,
        // A DHCP OFFER/ACK to a VM that has no address yet is not part of a tracked connection (its
        // DISCOVER went from 0.0.0.0 to the broadcast address): Neutron allows the server's replies
        // to the port's own address and to broadcast.
        `-A ${chain} -d ${ip}/32 -p udp -m udp --sport 67 --dport 68 -j ACCEPT`,
        `-A ${chain} -d 255.255.255.255/32 -p udp -m udp --sport 67 --dport 68 -j ACCEPT`,
    ];
}

/** Rules every egress chain starts with (before the group's allow rules). */
export function egressHead(chain: string, source: string): string[] {
    return [
        // DHCP DISCOVER/REQUEST before the VM has an address: the only traffic not from its own IP.
        `-A ${chain} -s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j ACCEPT`,
        `-A ${chain} -j ${source}`,
        `-A ${chain} -p udp -m udp --sport 68 --dport 67 -j ACCEPT`,
        // A VM may not be a DHCP server for its network (Neutron's "Prevent DHCP Spoofing by VM").
        `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j DROP`,
        `-A ${chain} -m state --state RELATED,ESTABLISHED -j ACCEPT`,
    ];
}

/** Rules every ingress and egress chain ends with: what is not allowed is dropped, INVALID first. */
export const chainTail = (chain: string): string[] => [`-A ${chain} -m state --state INVALID -j DROP`, `-A ${chain} -j DROP`];

/** The source chain: only the port's own IP/MAC pair returns to the egress chain. */
export function sourceRules(chain: string, p: Pair): string[] {
    // iptables-nft prints a MAC as given (lower case, the schema's form); iptables-legacy in upper case: read takes both
    return [`-A ${chain} -s ${p.ip}/32 -m mac --mac-source ${p.mac} -j RETURN`, `-A ${chain} -j DROP`];
}

/** The chains' rules, as `iptables -S <chain>` prints them (after the -N line). */
export function chainRules(s: SecurityGroupSpec): { ingress: string[]; egress: string[]; source: string[] } {
    const c = chains(s.portId);
    return {
        ingress: [...ingressHead(c.ingress, s.ip), ...s.ingress.map((r) => ruleLine(c.ingress, r, "ingress")), ...chainTail(c.ingress)],
        egress: [...egressHead(c.egress, c.source), ...s.egress.map((r) => ruleLine(c.egress, r, "egress")), ...chainTail(c.egress)],
        source: sourceRules(c.source, s),
    };
}

/**
 * An iptables-restore --noflush script that (re)writes our three chains and ensures the FORWARD
 * jumps: applied atomically, so a VM is never briefly open or half-configured.
 */
export function restoreScript(s: SecurityGroupSpec, haveJumps: boolean[]): string {
    const c = chains(s.portId);
    const r = chainRules(s);
    const names = [c.ingress, c.egress, c.source];
    const lines = ["*filter", ...names.map((n) => `:${n} - [0:0]`), ...names.map((n) => `-F ${n}`), ...r.ingress, ...r.egress, ...r.source];
    jumps(s).forEach((j, i) => {
        if (!haveJumps[i]) lines.push(j.replace(/^-A FORWARD/, "-I FORWARD 1"));
    });
    lines.push("COMMIT", "");
    return lines.join("\n");
}

/** Our chains that exist without our mark: someone else's (refused by create). */
export function unmarkedChains(st: SgState, s: Port): string[] {
    if (st.marked) return [];
    const c = chains(s.portId);
    return [st.ingress && c.ingress, st.egress && c.egress, st.source && c.source].filter((x): x is string => !!x);
}

export const planApply = (): Argv => ["iptables-restore", "--noflush", "--wait"];

/**
 * Removes our jumps, then our chains (all flushed before any is deleted: egress refers to source).
 * Absence is success; any other failure is an error.
 */
export function planDelete(s: Port): Argv[] {
    const c = chains(s.portId);
    // Validated tokens (no spaces inside): the jump spec is passed as separate arguments.
    const del = jumps(s).map((j) => [
        "sh",
        "-c",
        'while iptables -w -C "$@" 2>/dev/null; do iptables -w -D "$@" || exit 1; done',
        "sh",
        ...j.replace(/^-A /, "").split(" "),
    ]);
    return [
        ...del,
        [
            "sh",
            "-c",
            [
                'for c in "$@"; do if iptables -w -n -L "$c" >/dev/null 2>&1; then iptables -w -F "$c" || exit 1; fi; done',
                'for c in "$@"; do if iptables -w -n -L "$c" >/dev/null 2>&1; then iptables -w -X "$c" || exit 1; fi; done',
            ].join("\n"),
            "sh",
            c.ingress,
            c.egress,
            c.source,
        ],
    ];
}

export const showAll = (): Argv => ["iptables", "-w", "-S"];

export interface SgState {
    jumps: boolean[];
    /** A FORWARD rule carries our comment (dvrlab-sg-<port>): the chains are ours (the mark is written with them, atomically). */
    marked: boolean;
    ingress?: string[];
    egress?: string[];
    source?: string[];
}

export function parseState(iptablesS: string, s: Port): SgState {
    const lines = iptablesS.split("\n").map((l) => l.trim());
    const c = chains(s.portId);
    const has = (name: string) => lines.includes(`-N ${name}`);
    const rulesOf = (name: string) => (has(name) ? lines.filter((l) => l.startsWith(`-A ${name} `)) : undefined);
    const marked = lines.some((l) => l.startsWith("-A FORWARD ") && l.includes(` --comment ${commentOf(s.portId)} `));
    return { jumps: jumps(s).map((j) => lines.includes(j)), marked, ingress: rulesOf(c.ingress), egress: rulesOf(c.egress), source: rulesOf(c.source) };
}

/** The IP/MAC pair of a source chain we wrote, or undefined when it is not (edited by hand). */
export function parsePair(chain: string, lines: string[]): Pair | undefined {
    const m = lines[0]?.match(new RegExp(`^-A ${chain} -s (\\S+)/32 -m mac --mac-source (\\S+) -j RETURN$`));
    if (!m || lines.length !== 2 || lines[1] !== `-A ${chain} -j DROP`) return undefined;
    return { ip: m[1], mac: m[2].toLowerCase() };
}

/**
 * Parses our own chain back into the group's rules: `head` and the tail must be as we write them,
 * and everything between them a rule we can express (else undefined: edited by hand).
 */
export function parseRules(chain: string, direction: Direction, head: string[], lines: string[]): Rule[] | undefined {
    const tail = chainTail(chain);
    if (lines.length < head.length + tail.length) return undefined;
    if (head.some((h, i) => lines[i] !== h) || tail.some((t, i) => lines[lines.length - tail.length + i] !== t)) return undefined;
    const remote = direction === "ingress" ? "-s" : "-d";
    const out: Rule[] = [];
    for (const l of lines.slice(head.length, lines.length - tail.length)) {
        const m = l.match(new RegExp(`^-A ${chain}(?: ${remote} (\\S+?))?(?: -p (icmp|tcp|udp))?(?: -m (?:tcp|udp) --dport (\\S+))? -j ACCEPT$`));
        if (!m) return undefined;
        const cidr = m[1] ? (m[1].includes("/") ? m[1] : `${m[1]}/32`) : "0.0.0.0/0";
        const r: Rule = { protocol: (m[2] as any) ?? "any", remoteCidr: cidr };
        if (m[3]) r.port = /^\d+$/.test(m[3]) ? Number(m[3]) : m[3];
        out.push(r);
    }
    return out;
}

/** What read reports: the host's rules and pair in input form, and what is broken beyond them. */
export interface ReadBack {
    pair?: Pair;
    ingress?: Rule[];
    egress?: Rule[];
    problems: string[];
}

export function readBack(st: SgState, s: Port & Pair): ReadBack {
    const c = chains(s.portId);
    const problems: string[] = [];
    if (!st.jumps.every(Boolean)) problems.push("FORWARD jump missing");
    const pair = st.source ? parsePair(c.source, st.source) : undefined;
    if (!pair) problems.push("source chain missing or edited by hand");
    // The ingress head names the port's address: the one the host's source chain has, else ours.
    const parseIngress = (ip: string) => (st.ingress ? parseRules(c.ingress, "ingress", ingressHead(c.ingress, ip), st.ingress) : undefined);
    const ingress = (pair && parseIngress(pair.ip)) ?? parseIngress(s.ip);
    if (!ingress) problems.push("ingress chain missing or edited by hand");
    const egress = st.egress ? parseRules(c.egress, "egress", egressHead(c.egress, c.source), st.egress) : undefined;
    if (!egress) problems.push("egress chain missing or edited by hand");
    return { pair, ingress, egress, problems };
}
