// DVR: a routed echo is routed on the source host, so on the underlay it already carries the
// destination network's VNI and the source host's DVR MAC.
import { routedTrace } from "../plan";
import { captureVxlan } from "../context";
import { defineCheck, PHASE } from "./check";
import { routedPings } from "./ping";

export const routedOnSource = defineCheck<{ kind: "routed-on-source"; name: string; from: string; to: string }>({
    kind: "routed-on-source",
    title: "a routed echo across hosts leaves the source host with the destination network's VNI and the source host's DVR MAC (underlay capture)",
    needs: ["hosts", "networks", "machines", "router"],
    phase: PHASE.captures,
    lane: () => "underlay", // one capture at a time: each reads a whole host's underlay
    plan(o) {
        const across = routedPings(o).find((c) => c.scope === "routed, across the tunnel");
        if (!across) return [];
        const [f, t] = [across.from, across.to];
        return [
            {
                kind: "routed-on-source",
                name: `${f} → ${t} is routed on ${f}'s host: on the underlay it carries ${t}'s network VNI and ${f}'s host DVR MAC`,
                from: f,
                to: t,
            },
        ];
    },
    async run(ctx, c) {
        const from = ctx.machine(c.from);
        const to = ctx.machine(c.to);
        const ping = () => ctx.guest(from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to.ip]);
        await ping(); // ARP and learning out of the way
        const pkts = await captureVxlan(ctx, from.host, ping);
        const dvr = ctx.o.router!.dvrMacs[from.host];
        const vni = ctx.network(to.network).vni;
        const echo = pkts.filter((p) => p.includes(`${from.ip} > ${to.ip}: ICMP echo request`));
        const routed = echo.filter((p) => new RegExp(`vni ${vni}\\b`).test(p) && p.includes(`${dvr} > ${to.mac}`));
        const evidence = [
            `${from.host} underlay: ${echo.length} VXLAN echo requests ${from.ip} > ${to.ip}, ${routed.length} with vni ${vni} (${to.network}) and inner ${dvr} (${from.host}'s DVR MAC) > ${to.mac}`,
            ...echo.slice(0, 1).map((p) => `  ${p.replace(/\s+/g, " ").slice(0, 300)}`),
        ];
        const pass = echo.length >= 1 && routed.length === echo.length;
        return { pass, evidence, trace: pass ? undefined : await ctx.trace(routedTrace(ctx.o, from, to)) };
    },
});
