// Neutron's hybrid iptables firewall for one VM port: bridged traffic on the qbr is matched with
// physdev on the tap; ingress is default-deny with allow rules, egress allowed, conntrack'd.
import { Argv } from "../ssh/quote";
import { Rule, SecurityGroupSpec } from "./schema";

export const chains = (portId: string) => ({ ingress: `dvrl-i-${portId}`, egress: `dvrl-o-${portId}` });

/** The FORWARD jumps, as `iptables -S` prints them. */
export function jumps(s: Pick<SecurityGroupSpec, "portId" | "tap">): string[] {
    const c = chains(s.portId);
    return [
        `-A FORWARD -m physdev --physdev-out ${s.tap} --physdev-is-bridged -m comment --comment ${commentOf(s.portId)} -j ${c.ingress}`,
        `-A FORWARD -m physdev --physdev-in ${s.tap} --physdev-is-bridged -m comment --comment ${commentOf(s.portId)} -j ${c.egress}`,
    ];
}

const commentOf = (portId: string) => `dvrlab-sg-${portId}`;

export function ruleLine(chain: string, r: Rule): string {
    const parts = [`-A ${chain}`];
    if (r.remoteCidr !== "0.0.0.0/0") parts.push(`-s ${r.remoteCidr}`);
    if (r.protocol !== "any") parts.push(`-p ${r.protocol}`);
    if (r.port !== undefined) parts.push(`-m ${r.protocol} --dport ${r.port}`);
    parts.push("-j RETURN");
    return parts.join(" ");
}

/**
 * DHCP replies always pass, as in Neutron's firewall: the OFFER to a VM that has no address yet is
 * not part of a tracked connection (its DISCOVER went to the broadcast address from 0.0.0.0).
 */
const dhcpReply = (chain: string) => `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j RETURN`;

/** The chains' rules, as `iptables -S <chain>` prints them (after the -N line). */
export function chainRules(s: SecurityGroupSpec): { ingress: string[]; egress: string[] } {
    const c = chains(s.portId);
    return {
        ingress: [`-A ${c.ingress} -m state --state RELATED,ESTABLISHED -j RETURN`, dhcpReply(c.ingress), ...s.ingress.map((r) => ruleLine(c.ingress, r)), `-A ${c.ingress} -j DROP`],
        egress: [`-A ${c.egress} -j RETURN`],
    };
}

/**
 * An iptables-restore --noflush script that (re)writes our two chains and ensures the FORWARD
 * jumps: applied atomically, so a VM is never briefly open or half-configured.
 */
export function restoreScript(s: SecurityGroupSpec, haveJumps: boolean[]): string {
    const c = chains(s.portId);
    const r = chainRules(s);
    const lines = ["*filter", `:${c.ingress} - [0:0]`, `:${c.egress} - [0:0]`, `-F ${c.ingress}`, `-F ${c.egress}`, ...r.ingress, ...r.egress];
    jumps(s).forEach((j, i) => {
        if (!haveJumps[i]) lines.push(j.replace(/^-A FORWARD/, "-I FORWARD 1"));
    });
    lines.push("COMMIT", "");
    return lines.join("\n");
}

export const planApply = (): Argv => ["iptables-restore", "--noflush", "--wait"];

/** Removes jumps then chains; each step tolerates absence. */
export function planDelete(s: Pick<SecurityGroupSpec, "portId" | "tap">): Argv[] {
    const c = chains(s.portId);
    // Validated tokens (no spaces inside): the jump spec is passed as separate arguments.
    const del = jumps(s).map((j) => ["sh", "-c", 'while iptables -w -C "$@" 2>/dev/null; do iptables -w -D "$@" || exit 1; done', "sh", ...j.replace(/^-A /, "").split(" ")]);
    return [
        ...del,
        ["sh", "-c", 'for c in "$1" "$2"; do iptables -w -F "$c" 2>/dev/null; iptables -w -X "$c" 2>/dev/null; done; true', "sh", c.ingress, c.egress],
    ];
}

export const showAll = (): Argv => ["iptables", "-w", "-S"];

export interface SgState {
    jumps: boolean[];
    ingress?: string[];
    egress?: string[];
}

export function parseState(iptablesS: string, s: Pick<SecurityGroupSpec, "portId" | "tap">): SgState {
    const lines = iptablesS.split("\n").map((l) => l.trim());
    const c = chains(s.portId);
    const has = (name: string) => lines.includes(`-N ${name}`);
    const rulesOf = (name: string) => lines.filter((l) => l.startsWith(`-A ${name} `));
    const want = jumps(s);
    return {
        jumps: want.map((j) => lines.includes(j)),
        ingress: has(c.ingress) ? rulesOf(c.ingress) : undefined,
        egress: has(c.egress) ? rulesOf(c.egress) : undefined,
    };
}

/** Parses our own rule lines back into input rules (anything else is drift we can't express). */
export function parseRules(chain: string, lines: string[]): Rule[] | undefined {
    const body = lines.slice(2, -1); // between the conntrack and DHCP RETURNs and the final DROP
    if (lines[0] !== `-A ${chain} -m state --state RELATED,ESTABLISHED -j RETURN` || lines[1] !== dhcpReply(chain) || lines[lines.length - 1] !== `-A ${chain} -j DROP`) return undefined;
    const out: Rule[] = [];
    for (const l of body) {
        const m = l.match(new RegExp(`^-A ${chain}(?: -s (\\S+?))?(?: -p (icmp|tcp|udp))?(?: -m (?:tcp|udp) --dport (\\S+))? -j RETURN$`));
        if (!m) return undefined;
        const cidr = m[1] ? (m[1].includes("/") ? m[1] : `${m[1]}/32`) : "0.0.0.0/0";
        const r: Rule = { protocol: (m[2] as any) ?? "any", remoteCidr: cidr };
        if (m[3]) r.port = /^\d+$/.test(m[3]) ? Number(m[3]) : m[3];
        out.push(r);
    }
    return out;
}
