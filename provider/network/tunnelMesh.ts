// VXLAN between every pair of hosts (the seed's vxlan ports, `key=flow`), the per-port table 0
// flows that send tunnel traffic to VXLAN_TUN_TO_LV, and per host and network the flood flow
// that lists every tunnel port. Adding a host adds its ports here and extends every flood list.
import * as pulumi from "@pulumi/pulumi";
import { brTun } from "../flows";
import { FlowEntry, flowArgs } from "../flowEntry/resource";
import { OvsPort } from "../ovsPort/resource";
import type { Plan } from "./topology";
import type { DvrHost } from "./dvrHost";

export interface TunnelMeshArgs {
    plan: Plan;
    dvrHosts: Map<string, DvrHost>;
}

export class TunnelMesh extends pulumi.ComponentResource {
    /** host → remote host → the VXLAN port on `host` leading to `remote`. */
    readonly ports = new Map<string, Map<string, OvsPort>>();

    constructor(name: string, args: TunnelMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:TunnelMesh", name, {}, opts);
        const parent = { parent: this };
        const hosts = new Map(args.plan.hosts.map((h) => [h.name, h]));
        for (const t of args.plan.tunnels) {
            const connection = hosts.get(t.host)!.connection;
            const dvrHost = args.dvrHosts.get(t.host)!;
            const bridge = dvrHost.brTun.name;
            // After patch-int: OVS would renumber a port holding ofport 1 when patch-int requests it.
            const port = new OvsPort(
                `${t.host}-${t.port}`,
                { connection, bridge, name: t.port, type: "vxlan", options: { remoteIp: t.remoteIp, localIp: t.localIp, key: "flow" } },
                { parent: this, dependsOn: [dvrHost.patchInt] },
            );
            if (!this.ports.has(t.host)) this.ports.set(t.host, new Map());
            this.ports.get(t.host)!.set(t.remote, port);
            new FlowEntry(
                `${t.host}-tun-from-${t.remote}`,
                { connection, bridge, ...flowArgs(port.ofport.apply((tunPort) => brTun.fromTun({ tunPort }))) },
                parent,
            );
        }
        for (const h of args.plan.hosts) {
            const ports = [...(this.ports.get(h.name)?.values() ?? [])];
            if (!ports.length) continue; // a single host has nothing to flood to
            const ofports = pulumi.all(ports.map((p) => p.ofport));
            for (const n of args.plan.networks) {
                new FlowEntry(
                    `${h.name}-tun-flood-${n.name}`,
                    {
                        connection: h.connection,
                        bridge: args.dvrHosts.get(h.name)!.brTun.name,
                        ...flowArgs(ofports.apply((ps) => brTun.floodToTun({ vlan: n.vlan, vni: n.vni, ports: [...ps].sort((a, b) => a - b) }))),
                    },
                    parent,
                );
            }
        }
        this.registerOutputs({});
    }
}
