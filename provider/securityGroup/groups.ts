// Security groups as a topology declares them → each VM port's SecurityGroup rules: Neutron's
// remote_group_id rules become one rule per member VM address (/32; simple and exact, and what
// iptables prints back, where an ipset would be one more object on the host to own and refresh).
import { Group, GroupRule, Rule } from "./schema";

/** Neutron's default group: ingress from its own members, egress unset (all). */
export const DEFAULT_GROUP = "default";
export const defaultGroup: Group = { ingress: [{ protocol: "any", remoteGroup: DEFAULT_GROUP }] };

/** A VM as groups see it: its id, its group and its address. */
export interface Member {
    id: string;
    group: string;
    ip: string;
}

/** The declared groups, with Neutron's default group when the topology does not declare one. */
export function withDefault(groups: Record<string, Group>): Record<string, Group> {
    return DEFAULT_GROUP in groups ? groups : { ...groups, [DEFAULT_GROUP]: defaultGroup };
}

/** Where a topology refers to a group that does not exist: `[group, direction, index]` and the name. */
export function unknownRemoteGroups(groups: Record<string, Group>): { path: [string, "ingress" | "egress", number, "remoteGroup"]; group: string }[] {
    const known = withDefault(groups);
    const out: { path: [string, "ingress" | "egress", number, "remoteGroup"]; group: string }[] = [];
    for (const [name, g] of Object.entries(groups)) {
        for (const dir of ["ingress", "egress"] as const) {
            (g[dir] ?? []).forEach((r, i) => {
                if (r.remoteGroup !== undefined && !(r.remoteGroup in known)) out.push({ path: [name, dir, i, "remoteGroup"], group: r.remoteGroup });
            });
        }
    }
    return out;
}

function expand(r: GroupRule, members: readonly Member[]): Rule[] {
    const base: Omit<Rule, "remoteCidr"> = r.port === undefined ? { protocol: r.protocol } : { protocol: r.protocol, port: r.port };
    if (r.remoteGroup === undefined) return [{ ...base, remoteCidr: r.remoteCidr ?? "0.0.0.0/0" }];
    return members.filter((m) => m.group === r.remoteGroup).map((m) => ({ ...base, remoteCidr: `${m.ip}/32` }));
}

/** Rules in order without repeats (Neutron skips a rule it has already written). */
function unique(rules: Rule[]): Rule[] {
    const seen = new Set<string>();
    return rules.filter((r) => {
        const k = JSON.stringify([r.protocol, r.port ?? null, r.remoteCidr]);
        return seen.has(k) ? false : (seen.add(k), true);
    });
}

/**
 * Each VM's rules (by VM id): its group's rules with every remoteGroup replaced by one rule per
 * member address; egress undefined = the SecurityGroup default (all). An unknown group throws
 * (the topology's check reports it first, naming the field).
 */
export function resolveGroups(groups: Record<string, Group>, members: readonly Member[]): Map<string, { ingress: Rule[]; egress?: Rule[] }> {
    const all = withDefault(groups);
    const out = new Map<string, { ingress: Rule[]; egress?: Rule[] }>();
    for (const vm of members) {
        const g = all[vm.group];
        if (!g) throw new Error(`${vm.id}: unknown security group ${vm.group}`);
        const rules = (rs: GroupRule[]) => unique(rs.flatMap((r) => expand(r, members)));
        out.set(vm.id, g.egress === undefined ? { ingress: rules(g.ingress) } : { ingress: rules(g.ingress), egress: rules(g.egress) });
    }
    return out;
}
