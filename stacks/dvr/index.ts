// The DVR stack: the seed's network on the hosts named in config (the local lab by default).
// Topology (config) → plan (pure, topology.ts) → components, which read like the seed's steps.
import * as pulumi from "@pulumi/pulumi";
import { loadGuestManifest } from "./guest";
import { parseTopology, resolve } from "./topology";
import { DhcpAgent } from "./components/dhcpAgent";
import { DistributedRouter, dvrMacFlows } from "./components/distributedRouter";
import { DvrHost } from "./components/dvrHost";
import { GuestImage } from "./components/guestImage";
import { TunnelMesh } from "./components/tunnelMesh";
import { VmPort } from "./components/vmPort";
import { vmDomain } from "./components/vmDomain";

const config = new pulumi.Config("dvrlab");
const topology = parseTopology(config.requireObject("topology"));
const plan = resolve(topology);

const dvrHosts = new Map(plan.hosts.map((h) => [h.name, new DvrHost(h.name, { host: h, networks: plan.networks })]));
const mesh = new TunnelMesh("mesh", { plan, dvrHosts });
if (plan.routers.length) dvrMacFlows(plan, dvrHosts, mesh);
for (const r of plan.routers) new DistributedRouter(r.id, { router: r, plan, dvrHosts });
// Routed networks offer their gateway as the default route (DHCP option 3).
const routedNetworks = plan.routers.flatMap((r) => r.networks.map((n) => n.name));
const dhcp = new DhcpAgent("dhcp-agent", { plan, dvrHost: dvrHosts.get(plan.dhcpHost)!, routedNetworks });

const manifest = plan.vms.length ? loadGuestManifest(topology.guestManifest) : undefined;
const hostsWithVms = [...new Set(plan.vms.map((v) => v.host))];
const images = new Map(hostsWithVms.map((h) => [h, new GuestImage(`${h}-guest`, { host: plan.hosts.find((x) => x.name === h)!, manifest: manifest! })]));

const vms = plan.vms.map((vm) => {
    const host = plan.hosts.find((h) => h.name === vm.host)!;
    const port = new VmPort(vm.id, { vm, host, dvrHost: dvrHosts.get(vm.host)! });
    const image = images.get(vm.host)!;
    // After its port (chain, security group, flows) and its lease: the guest's first DISCOVER is answered.
    const domain = vmDomain(vm, host, port, image, manifest!, { dependsOn: [port, dhcp.leases.get(vm.id)!] });
    return { vm, host, port, domain };
});

/** What `npm run verify` needs to find everything (no secrets). */
export const hosts = plan.hosts.map((h) => ({ name: h.name, role: h.role, ...h.connection, tunnelIp: h.tunnelIp }));
export const networks = plan.networks;
export const router = plan.routers.length
    ? { networks: routedNetworks, dvrMacs: plan.dvrMacs, routers: plan.routers.map((r) => ({ id: r.id, namespace: r.namespace, hosts: r.hosts, networks: r.networks.map((n) => n.name) })) }
    : undefined;
export const dhcpServers = Object.fromEntries([...dhcp.servers].map(([n, s]) => [n, { host: plan.dhcpHost, namespace: s.namespace, port: s.portName, logFile: s.logFile }]));
export const machines = vms.map(({ vm, port, domain }) => ({
    id: vm.id,
    domain: vm.domain,
    host: vm.host,
    network: vm.network,
    ip: vm.ip,
    mac: vm.mac,
    vlan: vm.vlan,
    tap: vm.tap,
    qvo: vm.qvo,
    ofport: port.ofport,
    securityGroup: vm.securityGroup,
    ingress: vm.ingress,
    channelSocket: domain.channelSocketPath,
}));
