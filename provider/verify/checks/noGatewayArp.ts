// DVR: a VM's ARP for its gateway is answered by the router port on its own host and never
// enters a tunnel (every host has the same gateway IP and MAC).
import { captureVxlan } from "../context";
import { defineCheck, PHASE } from "./check";
import { routedPings } from "./ping";

export const noGatewayArp = defineCheck<{ kind: "no-gateway-arp"; name: string; from: string; to: string }>({
    kind: "no-gateway-arp",
    title: "a VM's ARP for its gateway is answered on its host: no ARP for a gateway in any tunnel (underlay capture)",
    needs: ["hosts", "networks", "machines", "router"],
    phase: PHASE.captures,
    lane: () => "underlay",
    plan(o) {
        const across = routedPings(o).find((c) => c.scope === "routed, across the tunnel");
        if (!across) return [];
        const f = across.from;
        return [{ kind: "no-gateway-arp", name: `${f}'s ARP for its gateway is answered on its host and never crosses a tunnel`, from: f, to: across.to }];
    },
    async run(ctx, c) {
        const from = ctx.machine(c.from);
        const to = ctx.machine(c.to);
        const net = ctx.network(from.network);
        const gw = net.gateway;
        const pkts = await captureVxlan(ctx, from.host, async () => {
            await ctx.guest(from, ["ip", "neigh", "flush", "dev", "eth0"]);
            await ctx.guest(from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to.ip]);
        });
        const arps = pkts.filter((p) => p.includes(`ARP, Request who-has ${gw}`) || p.includes(`ARP, Reply ${gw}`));
        const neigh = (await ctx.guest(from, ["ip", "neigh", "show", gw])).stdout.trim();
        const evidence = [
            `${from.id} re-learnt its gateway: ${neigh || "(no entry)"}`,
            `${from.host} underlay during it: ${pkts.length} VXLAN packets, ${arps.length} ARP for ${gw}`,
        ];
        return { pass: arps.length === 0 && !!net.gatewayMac && neigh.includes(`lladdr ${net.gatewayMac}`), evidence };
    },
});
