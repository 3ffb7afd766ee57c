// A Neutron DVR router: on every host with a VM on one of its networks, a qrouter-<id> namespace
// with one qr-<network> port per network (same gateway IP and MAC on every host), static neighbors
// for the networks' VMs (so it never ARPs across tunnels), and the flows that keep the shared
// gateway MAC local: br-tun DVR_PROCESS (table 1) turns it into this host's DVR MAC on the way out,
// br-int DVR_TO_SRC_MAC (table 1) turns another host's DVR MAC back into the gateway MAC on delivery,
// and br-tun table 9 drops a gateway MAC that arrives from a tunnel anyway.
import * as pulumi from "@pulumi/pulumi";
import { brInt, brTun } from "../flows";
import { FlowEntry, FlowSpec } from "../flowEntry/resource";
import { RouterNamespace } from "../routerNamespace/resource";
import { RouterPort } from "../routerPort/resource";
import { StaticNeighbors } from "../staticNeighbors/resource";
import type { Plan, ResolvedRouter } from "./topology";
import { DvrHost, PATCH_INT_OFPORT, PATCH_TUN_OFPORT } from "./dvrHost";

export interface DistributedRouterArgs {
    router: ResolvedRouter;
    plan: Plan;
    dvrHosts: Map<string, DvrHost>;
}

export class DistributedRouter extends pulumi.ComponentResource {
    constructor(name: string, args: DistributedRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:DistributedRouter", name, {}, opts);
        const { router, plan } = args;
        for (const h of router.hosts) {
            const host = plan.hosts.find((x) => x.name === h)!;
            const dvrHost = args.dvrHosts.get(h)!;
            const connection = host.connection;
            const parent = { parent: this };
            const flow = (bridge: "int" | "tun", key: string, spec: FlowSpec) =>
                new FlowEntry(`${h}-${router.id}-${key}`, { connection, bridge: (bridge === "int" ? dvrHost.brInt : dvrHost.brTun).name, ...spec }, parent);
            const ns = new RouterNamespace(`${h}-${router.namespace}`, { connection, name: router.namespace }, parent);
            for (const n of router.networks) {
                const dvrFlows = Object.entries(
                    brTun.dvrProcess({ vlan: n.vlan, gatewayIp: n.gateway, gatewayMac: n.gatewayMac, dvrMac: plan.dvrMacs[h] }),
                ).map(([key, spec]) => flow("tun", `${key.replace(/-\d+$/, "")}-${n.name}`, spec));
                // Receiving side of the same rule: a frame from a tunnel with the gateway MAC as source is a leak, never learnt.
                flow("tun", `gw-mac-from-tun-drop-${n.name}`, brTun.dvrGatewayMacFromTunDrop({ gatewayMac: n.gatewayMac }));
                // After patch-tun (OVS would renumber a port holding the ofport patch-tun requests), and after the flows that
                // rewrite its frames for its VLAN: a qr- port (re)tagged before them leaks the gateway MAC into the tunnels.
                const qr = new RouterPort(
                    `${h}-${router.id}-qr-${n.name}`,
                    {
                        connection,
                        bridge: dvrHost.brInt.name,
                        name: `qr-${n.name}`,
                        namespace: ns.name,
                        tag: n.vlan,
                        mac: n.gatewayMac,
                        address: `${n.gateway}/${n.prefix}`,
                        mtu: n.mtu,
                    },
                    { parent: this, dependsOn: [dvrHost.patchTun, ...dvrFlows] },
                );
                const entries = plan.vms.filter((v) => v.network === n.name).map((v) => ({ ip: v.ip, mac: v.mac }));
                new StaticNeighbors(`${h}-${router.id}-qr-${n.name}-neighbors`, { connection, namespace: ns.name, device: qr.name, entries }, parent);
            }
            // Delivery of routed frames from other hosts to this host's VMs, with the gateway MAC as source.
            for (const v of plan.vms.filter((x) => x.host === h)) {
                const n = router.networks.find((x) => x.name === v.network);
                if (n) flow("int", `dvr-to-${v.id}`, brInt.dvrToSrcMac({ vlan: v.vlan, dstMac: v.mac, gatewayMac: n.gatewayMac, ofport: v.ofport }));
            }
        }
        this.registerOutputs({});
    }
}

/** Flows per pair of hosts, shared by all routers: another host's DVR MAC is not learnt on br-tun and is handed to DVR_TO_SRC_MAC on br-int. */
export function dvrMacFlows(plan: Plan, dvrHosts: Map<string, DvrHost>, parent: pulumi.Resource): void {
    const routerHosts = new Set(plan.routers.flatMap((r) => r.hosts));
    for (const h of routerHosts) {
        const host = plan.hosts.find((x) => x.name === h)!;
        const d = dvrHosts.get(h)!;
        for (const o of routerHosts) {
            if (o === h) continue;
            const dvrMac = plan.dvrMacs[o];
            new FlowEntry(
                `${h}-tun-dvr-not-learn-${o}`,
                { connection: host.connection, bridge: d.brTun.name, ...brTun.dvrNotLearn({ dvrMac, patchPort: PATCH_INT_OFPORT }) },
                { parent },
            );
            new FlowEntry(
                `${h}-int-dvr-from-${o}`,
                { connection: host.connection, bridge: d.brInt.name, ...brInt.dvrFromTun({ patchPort: PATCH_TUN_OFPORT, dvrMac }) },
                { parent },
            );
        }
    }
}
