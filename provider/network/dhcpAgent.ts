// The DHCP agent (the seed's server-233): per network a dnsmasq in qdhcp-<network> on a br-int
// port tagged with the network's local VLAN, and a static lease per VM (Neutron's host file).
import * as pulumi from "@pulumi/pulumi";
import { DhcpLease } from "../dhcpLease/resource";
import { DhcpServer } from "../dhcpServer/resource";
import type { Plan } from "./topology";
import type { DvrHost } from "./dvrHost";

export interface DhcpAgentArgs {
    plan: Plan;
    dvrHost: DvrHost;
    /** Networks whose gateway is routed (a DistributedRouter): their leases offer it as option 3. */
    routedNetworks?: string[];
}

export class DhcpAgent extends pulumi.ComponentResource {
    readonly servers = new Map<string, DhcpServer>();
    readonly leases = new Map<string, DhcpLease>();

    constructor(name: string, args: DhcpAgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:DhcpAgent", name, {}, opts);
        const parent = { parent: this };
        const host = args.plan.hosts.find((h) => h.name === args.plan.dhcpHost)!;
        const connection = host.connection;
        for (const n of args.plan.networks) {
            const server = new DhcpServer(
                `dhcp-${n.name}`,
                {
                    connection,
                    network: n.name,
                    bridge: args.dvrHost.brInt.name,
                    tag: n.vlan,
                    address: `${n.dhcpIp}/${n.prefix}`,
                    mtu: n.mtu,
                    ...(args.routedNetworks?.includes(n.name) ? { router: n.gateway } : {}),
                },
                // after patch-tun: OVS would renumber a port holding the ofport patch-tun requests
                { parent: this, dependsOn: [args.dvrHost.patchTun] },
            );
            this.servers.set(n.name, server);
        }
        for (const vm of args.plan.vms) {
            const server = this.servers.get(vm.network)!;
            this.leases.set(
                vm.id,
                new DhcpLease(
                    `lease-${vm.id}`,
                    { connection, network: server.network, serverAddress: server.address, mac: vm.mac, hostname: vm.id, ip: vm.ip },
                    parent,
                ),
            );
        }
        this.registerOutputs({});
    }
}
