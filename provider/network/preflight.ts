// Which checks each host's HostPreflight runs, from the plan: every DVR host needs Open vSwitch;
// security groups (iptables, physdev) where VM ports are; dnsmasq on the DHCP agent's host;
// libvirt where libvirt VMs run; the tunnel address and the MTU everywhere.
import type { HostPreflightResourceArgs } from "../hostPreflight/resource";
import type { Plan, ResolvedHost } from "./topology";

export function preflightArgs(plan: Plan, h: ResolvedHost): HostPreflightResourceArgs {
    const vms = plan.vms.filter((v) => v.host === h.name);
    return {
        connection: h.connection,
        needs: { ovs: true, iptables: vms.length > 0, dnsmasq: h.name === plan.dhcpHost, libvirt: vms.some((v) => v.kind === "libvirt") },
        tunnelIp: h.tunnelIp,
        // The largest network MTU: every network is provisioned on every host.
        mtu: Math.max(...plan.networks.map((n) => n.mtu)),
        // An unmarked bridge of these names is refused here, before any host changes, unless adopted.
        bridges: [h.bridges.int, h.bridges.tun].map((name) => ({ name, adopt: h.adopt.includes(name) })),
    };
}
