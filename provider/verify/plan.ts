// `verify`, the pure part shared by the checks (checks/*.ts plan their own): the stack outputs it
// reads, security-group and address helpers, and for a failing packet which `ofproto/trace`
// commands show where it died.
import { z } from "zod";
import { intToIp, inSubnet, ipToInt, subnetOf } from "../net/ipv4";
import { tunnelPortName } from "../network/topology";
import { connection } from "../core/schema";

export const outputsSchema = z.object({
    /** Each host's connection as its resources have it (user, key name, agent, become, bastion; no secrets), name, role, tunnel IP. */
    hosts: z.array(
        connection.partial({ keyRef: true }).extend({
            name: z.string(),
            tunnelIp: z.string(),
            role: z.string(),
            /** The host's bridge names (outputs of stacks before they were configurable have none: the defaults). */
            bridges: z.object({ int: z.string(), tun: z.string() }).optional(),
        }),
    ),
    networks: z.array(
        z.object({
            name: z.string(),
            cidr: z.string(),
            prefix: z.number(),
            vni: z.number(),
            vlan: z.number(),
            dhcpIp: z.string(),
            gateway: z.string(),
            gatewayMac: z.string().optional(),
        }),
    ),
    machines: z.array(
        z.object({
            id: z.string(),
            host: z.string(),
            network: z.string(),
            ip: z.string(),
            mac: z.string(),
            vlan: z.number(),
            tap: z.string(),
            qvo: z.string(),
            ofport: z.number(),
            securityGroup: z.string(),
            ingress: z.array(z.object({ protocol: z.string(), remoteCidr: z.string().optional(), port: z.union([z.number(), z.string()]).optional() })),
            /** libvirt guests are reached through their command channel, netns guests with `ip netns exec` on their host. */
            kind: z.enum(["libvirt", "netns"]).optional(),
            channelSocket: z.string().optional(),
            namespace: z.string().optional(),
        }),
    ),
    /** Routed networks (the DistributedRouter), when the stack has one. */
    router: z
        .object({
            networks: z.array(z.string()),
            dvrMacs: z.record(z.string(), z.string()),
        })
        .optional(),
});
export type StackOutputs = z.output<typeof outputsSchema>;
export type Machine = StackOutputs["machines"][number];

/** Whether a VM's security group lets ICMP in from `srcIp` (any rule for icmp/any whose CIDR holds it). */
export function allowsIcmpFrom(vm: Machine, srcIp: string): boolean {
    return vm.ingress.some((r) => (r.protocol === "icmp" || r.protocol === "any") && inCidr(srcIp, r.remoteCidr ?? "0.0.0.0/0"));
}

export function inCidr(ip: string, cidr: string): boolean {
    return inSubnet(ip, subnetOf(cidr));
}

/**
 * An unused address of the VM's subnet to spoof: the highest host address no VM, gateway or DHCP
 * server holds; `skip` free ones first (checks that may run side by side use different addresses).
 */
export function spoofAddress(o: StackOutputs, vm: Machine, skip = 0): string {
    const n = o.networks.find((x) => x.name === vm.network)!;
    const size = 2 ** (32 - n.prefix);
    const base = ipToInt(n.cidr.split("/")[0]);
    const used = new Set([n.gateway, n.dhcpIp, ...o.machines.map((m) => m.ip)]);
    for (let i = size - 2; i > 0; i--) {
        const ip = intToIp(base + i);
        if (!used.has(ip) && skip-- === 0) return ip;
    }
    throw new Error(`no free address in ${n.cidr} to spoof`);
}

/** A host's integration (int) and tunnel (tun) bridge names. */
export function bridgesOf(o: Pick<StackOutputs, "hosts">, host: string): { int: string; tun: string } {
    return o.hosts.find((h) => h.name === host)?.bridges ?? { int: "br-int", tun: "br-tun" };
}

export interface TraceStep {
    host: string;
    bridge: string;
    /** ofproto/trace flow; `{port:NAME}` stands for the OpenFlow number of port NAME on that bridge (looked up at trace time). */
    flow: string;
}

/** Where an ICMP echo from `from` to `to` goes: br-int of the source; br-tun of both hosts and br-int of the destination when it crosses. */
export function pingTrace(o: StackOutputs, from: Machine, to: Machine, dstMac: string): TraceStep[] {
    const pkt = `icmp,dl_src=${from.mac},dl_dst=${dstMac},nw_src=${from.ip},nw_dst=${to.ip},icmp_type=8`;
    const [a, b] = [bridgesOf(o, from.host), bridgesOf(o, to.host)];
    const steps: TraceStep[] = [{ host: from.host, bridge: a.int, flow: `in_port=${from.ofport},${pkt}` }];
    if (from.host !== to.host) {
        const src = o.hosts.find((h) => h.name === from.host)!;
        const net = o.networks.find((n) => n.name === to.network)!;
        steps.push({ host: from.host, bridge: a.tun, flow: `in_port={port:patch-int},dl_vlan=${from.vlan},${pkt}` });
        steps.push({ host: to.host, bridge: b.tun, flow: `in_port={port:${tunnelPortName(src.tunnelIp)}},tun_id=0x${net.vni.toString(16)},${pkt}` });
        steps.push({ host: to.host, bridge: b.int, flow: `in_port={port:patch-tun},dl_vlan=${to.vlan},${pkt}` });
    }
    return steps;
}

/** A routed echo: to the gateway on the source's br-int, out of the destination network's qr- port, and across when the hosts differ (source = the source host's DVR MAC). */
export function routedTrace(o: StackOutputs, from: Machine, to: Machine): TraceStep[] {
    const net = (m: Machine) => o.networks.find((n) => n.name === m.network)!;
    const gwFrom = net(from).gatewayMac ?? "00:00:00:00:00:00";
    const gwTo = net(to).gatewayMac ?? "00:00:00:00:00:00";
    const ip = `icmp,nw_src=${from.ip},nw_dst=${to.ip},icmp_type=8`;
    const [a, b] = [bridgesOf(o, from.host), bridgesOf(o, to.host)];
    const steps: TraceStep[] = [
        { host: from.host, bridge: a.int, flow: `in_port=${from.ofport},dl_src=${from.mac},dl_dst=${gwFrom},${ip}` },
        { host: from.host, bridge: a.int, flow: `in_port={port:qr-${to.network}},dl_src=${gwTo},dl_dst=${to.mac},${ip}` },
    ];
    if (from.host !== to.host) {
        const src = o.hosts.find((h) => h.name === from.host)!;
        const dvr = o.router?.dvrMacs[from.host] ?? gwTo;
        steps.push({
            host: to.host,
            bridge: b.tun,
            flow: `in_port={port:${tunnelPortName(src.tunnelIp)}},tun_id=0x${net(to).vni.toString(16)},dl_src=${dvr},dl_dst=${to.mac},${ip}`,
        });
        steps.push({ host: to.host, bridge: b.int, flow: `in_port={port:patch-tun},dl_vlan=${to.vlan},dl_src=${dvr},dl_dst=${to.mac},${ip}` });
    }
    return steps;
}

/** A DHCPDISCOVER from the VM's port (on `brInt`, the VM host's br-int). `udp_src`/`udp_dst`: ofproto/trace refuses `tp_src`/`tp_dst` here ("prerequisites not met"). */
export function dhcpTrace(vm: Machine, brInt = "br-int"): TraceStep[] {
    return [
        {
            host: vm.host,
            bridge: brInt,
            flow: `in_port=${vm.ofport},udp,dl_src=${vm.mac},dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67`,
        },
    ];
}

export function arpTrace(vm: Machine, spa: string, brInt = "br-int"): TraceStep[] {
    return [
        {
            host: vm.host,
            bridge: brInt,
            flow: `in_port=${vm.ofport},arp,arp_op=2,dl_src=${vm.mac},dl_dst=ff:ff:ff:ff:ff:ff,arp_sha=${vm.mac},arp_spa=${spa},arp_tpa=${spa}`,
        },
    ];
}

/** `n_packets` of the flow in a dump-flows text whose match contains every `parts` token. */
export function packetsOf(dump: string, parts: string[]): number | undefined {
    for (const line of dump.split("\n")) {
        if (!parts.every((p) => line.includes(p))) continue;
        const m = line.match(/n_packets=(\d+)/);
        if (m) return Number(m[1]);
    }
    return undefined;
}

/**
 * The packet counter of one iptables rule in `iptables -v -S <chain>` output, found by its spec as
 * `iptables -S` prints it (the ` -c <packets> <bytes>` that -v adds is left out of the comparison).
 */
export function ruleCounter(vS: string, spec: string): number | undefined {
    for (const line of vS.split("\n")) {
        const m = line.match(/ -c (\d+) \d+/);
        if (m && line.replace(m[0], "").trim() === spec) return Number(m[1]);
    }
    return undefined;
}

/** The rows of `ovs-appctl fdb/show` (port, VLAN, MAC) whose MAC is one of `macs`. */
export function fdbRowsFor(fdbShow: string, macs: string[]): { port: string; vlan: number; mac: string }[] {
    const want = new Set(macs.map((m) => m.toLowerCase()));
    return fdbShow
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((r) => r.length >= 3 && /^\d+$/.test(r[1]) && want.has(r[2].toLowerCase()))
        .map((r) => ({ port: r[0], vlan: Number(r[1]), mac: r[2].toLowerCase() }));
}
