// DVR: routing between two subnets on one host stays on that host (the underlay sees nothing).
import { routedTrace } from "../plan";
import { captureVxlan } from "../context";
import { defineCheck, PHASE } from "./check";
import { routedPings } from "./ping";

export const sameHostLocal = defineCheck<{ kind: "same-host-local"; name: string; from: string; to: string }>({
    kind: "same-host-local",
    title: "routing between two VMs of one host never touches the underlay (underlay capture)",
    needs: ["hosts", "networks", "machines", "router"],
    phase: PHASE.captures,
    lane: () => "underlay",
    plan(o) {
        const local = routedPings(o).find((c) => c.scope === "routed, same host");
        return local
            ? [
                  {
                      kind: "same-host-local",
                      name: `${local.from} → ${local.to} (two subnets, one host) never touches the underlay`,
                      from: local.from,
                      to: local.to,
                  },
              ]
            : [];
    },
    async run(ctx, c) {
        const from = ctx.machine(c.from);
        const to = ctx.machine(c.to);
        const ping = () => ctx.guest(from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to.ip]);
        await ping();
        const pkts = await captureVxlan(ctx, from.host, ping);
        const ours = pkts.filter((p) => p.includes(`${from.ip} > ${to.ip}`) || p.includes(`${to.ip} > ${from.ip}`));
        const r = await ping();
        const evidence = [
            `${from.host} underlay during ${from.id} → ${to.id}: ${ours.length} VXLAN packets between them (${pkts.length} VXLAN in all)`,
            `ping: ${r.stdout.split("\n").find((l) => /transmitted/.test(l)) ?? r.stdout}`,
        ];
        const pass = ours.length === 0 && r.code === 0;
        return { pass, evidence, trace: pass ? undefined : await ctx.trace(routedTrace(ctx.o, from, to)) };
    },
});
