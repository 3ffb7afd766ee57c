// L2 and routed pings between VMs, and a VM whose security group lacks ICMP getting none.
import { allowsIcmpFrom, Machine, pingTrace, routedTrace, ruleCounter, StackOutputs } from "../plan";
import { defineCheck, PHASE, VerifyContext } from "./check";

export type PingScope = "same host" | "across the tunnel" | "routed, same host" | "routed, across the tunnel";
export type PingCheck = { kind: "ping"; name: string; from: string; to: string; expect: "reply" | "blocked"; scope: PingScope };

/**
 * Every ordered pair of VMs of a network, or of two routed networks, whose group lets ICMP in from
 * the source; for each VM whose group does not, one source of its network (preferring another host).
 */
export function planPings(o: StackOutputs): PingCheck[] {
    const checks: PingCheck[] = [];
    const routed = new Set(o.router?.networks ?? []);
    for (const to of o.machines) {
        const sources = o.machines.filter((s) => s.id !== to.id && (s.network === to.network || (routed.has(s.network) && routed.has(to.network))));
        for (const from of sources) {
            const sameNet = from.network === to.network;
            const sameHost = from.host === to.host;
            const scope: PingScope = sameNet ? (sameHost ? "same host" : "across the tunnel") : sameHost ? "routed, same host" : "routed, across the tunnel";
            if (allowsIcmpFrom(to, from.ip)) {
                checks.push({ kind: "ping", name: `ping ${from.id} → ${to.id} (${scope})`, from: from.id, to: to.id, expect: "reply", scope });
            }
        }
        const blockedFrom = sources.filter((s) => s.network === to.network && !allowsIcmpFrom(to, s.ip));
        const src = blockedFrom.find((s) => s.host !== to.host) ?? blockedFrom[0];
        if (src) {
            checks.push({
                kind: "ping",
                name: `${to.id}'s security group (${to.securityGroup}) has no ICMP rule: ${src.id} → ${to.id} gets no reply`,
                from: src.id,
                to: to.id,
                expect: "blocked",
                scope: src.host === to.host ? "same host" : "across the tunnel",
            });
        }
    }
    return checks;
}

/** The routed pings that get a reply (the L3 checks pick their pair from these). */
export const routedPings = (o: StackOutputs) => planPings(o).filter((c) => c.expect === "reply" && c.scope.startsWith("routed"));

/** The counter of the VM's ingress chain's final DROP (packets no rule of its group allowed). */
async function sgDrops(ctx: VerifyContext, vm: Machine): Promise<number | undefined> {
    const chain = `dvrl-i-${vm.id}`;
    const r = await ctx.host(vm.host, ["iptables", "-w", "-v", "-S", chain]);
    return ruleCounter(r.stdout, `-A ${chain} -j DROP`);
}

export const ping = defineCheck<PingCheck>({
    kind: "ping",
    title: "ping between VMs (same host, across VXLAN, routed); a group without ICMP drops it (DROP counter) while ARP resolves",
    needs: ["machines"],
    phase: PHASE.pings,
    lane: (c) => c.from, // each source guest pings one target at a time
    plan: planPings,
    async run(ctx, c) {
        const from = ctx.machine(c.from);
        const to = ctx.machine(c.to);
        const dropsBefore = c.expect === "blocked" ? await sgDrops(ctx, to) : undefined;
        // One echo first, not counted: right after a change the path may still be learning (ARP, MAC tables).
        await ctx.guest(from, ["ping", "-c", "1", "-W", "1", to.ip]);
        const r = await ctx.guest(from, ["ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "3", to.ip]);
        const summary = r.stdout.split("\n").find((l) => /packets transmitted/.test(l)) ?? r.stdout.trim().split("\n").pop() ?? "";
        const evidence = [`in ${from.id} (on ${from.host}): ping ${to.ip}: ${summary.trim() || r.stderr.trim()}`];
        let pass: boolean;
        if (c.expect === "reply") {
            pass = r.code === 0;
        } else {
            // Blocked by the group, not by a broken network: ARP resolved (L2 works) and the group's DROP counted the echoes.
            const neigh = (await ctx.guest(from, ["ip", "neigh", "show", to.ip])).stdout.trim();
            const dropsAfter = await sgDrops(ctx, to);
            const dropped = dropsBefore !== undefined && dropsAfter !== undefined ? dropsAfter - dropsBefore : undefined;
            evidence.push(`neighbor entry in ${from.id}: ${neigh || "(none)"}`, `${to.host} iptables dvrl-i-${to.id} DROP counter: +${dropped ?? "?"}`);
            pass = r.code !== 0 && neigh.includes(`lladdr ${to.mac}`) && (dropped ?? 0) >= 1;
        }
        const steps = from.network === to.network ? pingTrace(ctx.o, from, to, to.mac) : routedTrace(ctx.o, from, to);
        return { pass, evidence, trace: pass ? undefined : await ctx.trace(steps) };
    },
});
