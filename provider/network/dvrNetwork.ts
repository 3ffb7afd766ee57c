// The seed's whole network from one topology (data → resolve() → components): what a user program
// declares as `new DvrNetwork("lab", { topology })`, and the dev stack (stacks/dvr) does.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { projectDir } from "../core/config";
import { GuestManifest, readGuestManifest } from "../guest/manifest";
import { HostPreflight } from "../hostPreflight/resource";
import { NetnsGuest } from "../netnsGuest/resource";
import { preflightArgs } from "./preflight";
import { DhcpAgent } from "./dhcpAgent";
import { DistributedRouter, dvrMacFlows } from "./distributedRouter";
import { DvrHost } from "./dvrHost";
import { GuestImage } from "./guestImage";
import { Conn, parseTopology, Plan, resolve, Topology, TopologyInput } from "./topology";
import { TunnelMesh } from "./tunnelMesh";
import { vmDomain } from "./vmDomain";
import { VmPort } from "./vmPort";

export interface DvrNetworkArgs {
    /** The topology as data (the `dvrlab:topology` config's shape, unparsed); validated here, errors name `topologyKey`. */
    topology: TopologyInput;
    /** The image libvirt VMs boot; unset = read topology.guestManifest (a path relative to the project). */
    guestManifest?: GuestManifest;
    /** How errors name the topology (default "dvrlab:topology", the config key). */
    topologyKey?: string;
    /**
     * The children were built at the stack's top level (dvrlab's dev stack before DvrNetwork existed):
     * alias them there, so an `up` over such a state moves them under this component instead of
     * replacing every host object.
     */
    aliasFromStackRoot?: boolean;
}

export interface DvrMachine {
    id: string;
    /** Absent for a libvirt VM (the dev stack's outputs predate it). */
    kind?: "netns";
    domain: string;
    host: string;
    network: string;
    ip: string;
    mac: string;
    vlan: number;
    tap: string;
    qvo: string;
    ofport: number;
    securityGroup: string;
    ingress: Plan["vms"][number]["ingress"];
    /** libvirt: the guest command channel's socket on its host. */
    channelSocket?: string;
    /** netns: the guest's network namespace on its host. */
    namespace?: string;
}

export class DvrNetwork extends pulumi.ComponentResource {
    /** The resolved plan (names, addresses, ports), for programs that add their own resources next to it. */
    readonly plan: Plan;
    readonly dvrHosts: Map<string, DvrHost>;
    /** One per host, created before anything else: what the host was found to offer. */
    readonly preflights: HostPreflight[];
    // What `npm run verify` reads (the dev stack exports them under these names); no secrets.
    /** Each host's connection (its name, user, key name, agent, become, bastion: no secrets), role and tunnel IP. */
    readonly hosts: pulumi.Output<(Conn & { role: string; tunnelIp: string; bridges: { int: string; tun: string } })[]>;
    readonly networks: pulumi.Output<Plan["networks"]>;
    readonly router: pulumi.Output<
        { networks: string[]; dvrMacs: Record<string, string>; routers: { id: string; namespace: string; hosts: string[]; networks: string[] }[] } | undefined
    >;
    readonly dhcpServers: pulumi.Output<Record<string, { host: string; namespace: string; port: string; logFile: string }>>;
    readonly machines: pulumi.Output<DvrMachine[]>;

    constructor(name: string, args: DvrNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:index:DvrNetwork", name, {}, opts);
        const topology = parseTopology(args.topology, args.topologyKey);
        const plan = (this.plan = resolve(topology));
        // Preflight first, on every host; everything else waits for all of them (a transformation
        // every child inherits), so a host that cannot carry the network fails `up` before any host changes.
        this.preflights = plan.hosts.map((h) => new HostPreflight(`${h.name}-preflight`, preflightArgs(plan, h), { parent: this }));
        const afterPreflights: pulumi.ResourceTransformation = (r) => ({ props: r.props, opts: pulumi.mergeOptions(r.opts, { dependsOn: this.preflights }) });
        const child = {
            parent: this,
            transformations: [afterPreflights],
            ...(args.aliasFromStackRoot ? { aliases: [{ parent: pulumi.rootStackResource }] } : {}),
        };

        const dvrHosts = (this.dvrHosts = new Map(plan.hosts.map((h) => [h.name, new DvrHost(h.name, { host: h, networks: plan.networks }, child)])));
        const mesh = new TunnelMesh("mesh", { plan, dvrHosts }, child);
        if (plan.routers.length) dvrMacFlows(plan, dvrHosts, mesh);
        for (const r of plan.routers) new DistributedRouter(r.id, { router: r, plan, dvrHosts }, child);
        // Routed networks offer their gateway as the default route (DHCP option 3).
        const routedNetworks = plan.routers.flatMap((r) => r.networks.map((n) => n.name));
        const dhcp = new DhcpAgent("dhcp-agent", { plan, dvrHost: dvrHosts.get(plan.dhcpHost)!, routedNetworks }, child);

        const libvirtVms = plan.vms.filter((v) => v.kind === "libvirt");
        const manifest = libvirtVms.length ? (args.guestManifest ?? manifestFromTopology(topology, args.topologyKey ?? "dvrlab:topology")) : undefined;
        const images = new Map(
            [...new Set(libvirtVms.map((v) => v.host))].map((h) => [
                h,
                new GuestImage(`${h}-guest`, { host: plan.hosts.find((x) => x.name === h)!, manifest: manifest! }, child),
            ]),
        );

        const machines = plan.vms.map((vm): pulumi.Output<DvrMachine> => {
            const host = plan.hosts.find((h) => h.name === vm.host)!;
            const port = new VmPort(vm.id, { vm, host, dvrHost: dvrHosts.get(vm.host)! }, child);
            // After its port (chain, security group, flows) and its lease: the guest's first DISCOVER is answered.
            const after = { ...child, dependsOn: [port, dhcp.leases.get(vm.id)!] };
            const common = {
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
            };
            if (vm.kind === "netns") {
                const n = plan.networks.find((x) => x.name === vm.network)!;
                // Static, as the lease would give: address, and the gateway as default route on a routed network.
                const guest = new NetnsGuest(
                    vm.id,
                    {
                        connection: host.connection,
                        name: vm.domain,
                        tap: vm.tap,
                        bridge: port.qbr.name,
                        mac: vm.mac,
                        address: `${vm.ip}/${n.prefix}`,
                        mtu: vm.mtu,
                        ...(routedNetworks.includes(n.name) ? { gateway: n.gateway } : {}),
                    },
                    after,
                );
                return pulumi.output({ kind: "netns" as const, ...common, namespace: guest.name });
            }
            const domain = vmDomain(vm, host, port, images.get(vm.host)!, manifest!, after);
            return pulumi.output({ ...common, channelSocket: domain.channelSocketPath });
        });

        this.hosts = pulumi.output(plan.hosts.map((h) => ({ ...h.connection, name: h.name, role: h.role, tunnelIp: h.tunnelIp, bridges: h.bridges })));
        this.networks = pulumi.output(plan.networks);
        this.router = pulumi.output(
            plan.routers.length
                ? {
                      networks: routedNetworks,
                      dvrMacs: plan.dvrMacs,
                      routers: plan.routers.map((r) => ({ id: r.id, namespace: r.namespace, hosts: r.hosts, networks: r.networks.map((n) => n.name) })),
                  }
                : undefined,
        );
        this.dhcpServers = pulumi.output(
            Object.fromEntries([...dhcp.servers].map(([n, s]) => [n, { host: plan.dhcpHost, namespace: s.namespace, port: s.portName, logFile: s.logFile }])),
        );
        this.machines = pulumi.all(machines);
        this.registerOutputs({ hosts: this.hosts, networks: this.networks, router: this.router, dhcpServers: this.dhcpServers, machines: this.machines });
    }
}

function manifestFromTopology(t: Topology, key: string): GuestManifest {
    if (!t.guestManifest)
        throw new Error(`${key}.vms: libvirt VMs need a guest image: set ${key}.guestManifest (a manifest.json) or pass DvrNetwork's guestManifest`);
    return readGuestManifest(path.resolve(projectDir(), t.guestManifest));
}
