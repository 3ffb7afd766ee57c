// DVR: no router host's br-int has learnt a (shared) gateway MAC on patch-tun. A gateway MAC
// leaked from another host blackholes routed traffic until it ages out; run first, as `up` left
// it, because the guests' ARP during later checks re-teaches where the gateway is.
import { bridgesOf, fdbRowsFor } from "../plan";
import { ofportOf } from "../context";
import { defineCheck, PHASE } from "./check";

export const gatewayMacLocal = defineCheck<{ kind: "gateway-mac-local"; name: string; host: string }>({
    kind: "gateway-mac-local",
    title: "no router host's br-int has learnt a gateway MAC on patch-tun (checked first, as `up` left it)",
    needs: ["networks", "router"],
    phase: PHASE.asUpLeftIt,
    lane: () => "fdb",
    plan: (o) =>
        Object.keys(o.router?.dvrMacs ?? {})
            .sort()
            .map((host) => ({
                kind: "gateway-mac-local",
                name: `${host}: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)`,
                host,
            })),
    async run(ctx, c) {
        const o = ctx.o;
        const gws = o.networks.filter((n) => o.router?.networks.includes(n.name) && n.gatewayMac).map((n) => n.gatewayMac!);
        const patch = await ofportOf(ctx, c.host, "patch-tun");
        const rows = fdbRowsFor((await ctx.host(c.host, ["ovs-appctl", "fdb/show", bridgesOf(o, c.host).int])).stdout, gws);
        const leaked = rows.filter((r) => r.port === patch);
        const evidence = rows.length
            ? rows.map((r) => `br-int fdb: ${r.mac} vlan ${r.vlan} on port ${r.port}${r.port === patch ? " = patch-tun: leaked from another host" : ""}`)
            : [`br-int fdb: no gateway MAC (${gws.join(", ")}) learnt yet`];
        return { pass: !!patch && leaked.length === 0, evidence };
    },
});
