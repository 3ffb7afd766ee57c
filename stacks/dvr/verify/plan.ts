// `npm run verify`, the pure part: from the stack's outputs, which checks to run (the seed's own
// checks) and, for a failing packet, which `ofproto/trace` commands show where it died.
import { z } from "zod";
import { intToIp, inSubnet, ipToInt, subnetOf } from "../../../provider/net/ipv4";
import { tunnelPortName } from "../topology";

export const outputsSchema = z.object({
    hosts: z.array(z.object({ name: z.string(), host: z.string(), port: z.number(), user: z.string(), tunnelIp: z.string(), role: z.string() })),
    networks: z.array(z.object({ name: z.string(), cidr: z.string(), prefix: z.number(), vni: z.number(), vlan: z.number(), dhcpIp: z.string(), gateway: z.string(), gatewayMac: z.string().optional() })),
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
            channelSocket: z.string(),
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

export type Check =
    | { kind: "dhcp"; name: string; vm: string }
    | { kind: "ping"; name: string; from: string; to: string; expect: "reply" | "blocked"; scope: "same host" | "across the tunnel" | "routed, same host" | "routed, across the tunnel" }
    | { kind: "arp-spoof"; name: string; vm: string; spoofedIp: string }
    /** L3: the echo is routed on the source host (underlay: destination network's VNI, source host's DVR MAC). */
    | { kind: "routed-on-source"; name: string; from: string; to: string }
    /** L3: a VM's ARP for its gateway is answered on its host and never enters a tunnel. */
    | { kind: "no-gateway-arp"; name: string; from: string; to: string }
    /** L3: routing between two VMs of one host never touches the underlay. */
    | { kind: "same-host-local"; name: string; from: string; to: string }
    /** L3: br-int of a router host has not learnt a (shared) gateway MAC on patch-tun: a leak from another host that blackholes routed traffic. */
    | { kind: "gateway-mac-local"; name: string; host: string };

/** Whether a VM's security group lets ICMP in from `srcIp` (any rule for icmp/any whose CIDR holds it). */
export function allowsIcmpFrom(vm: Machine, srcIp: string): boolean {
    return vm.ingress.some((r) => (r.protocol === "icmp" || r.protocol === "any") && inCidr(srcIp, r.remoteCidr ?? "0.0.0.0/0"));
}

export function inCidr(ip: string, cidr: string): boolean {
    return inSubnet(ip, subnetOf(cidr));
}

/** An unused address of the VM's subnet to spoof: the highest host address no VM, gateway or DHCP server holds. */
export function spoofAddress(o: StackOutputs, vm: Machine): string {
    const n = o.networks.find((x) => x.name === vm.network)!;
    const size = 2 ** (32 - n.prefix);
    const base = ipToInt(n.cidr.split("/")[0]);
    const used = new Set([n.gateway, n.dhcpIp, ...o.machines.map((m) => m.ip)]);
    for (let i = size - 2; i > 0; i--) {
        const ip = intToIp(base + i);
        if (!used.has(ip)) return ip;
    }
    throw new Error(`no free address in ${n.cidr} to spoof`);
}

/**
 * The seed's checks: every VM holds its address; L2 ping between VMs of a network on one host and
 * across the tunnel (every ordered pair); a VM whose group lacks ICMP is not pingable (one source,
 * preferring another host); a spoofed ARP reply from each VM is dropped at table 24 while its real one passes.
 */
export function planChecks(o: StackOutputs): Check[] {
    const checks: Check[] = o.machines.map((vm) => ({ kind: "dhcp", name: `${vm.id} holds ${vm.ip} from DHCP`, vm: vm.id }) as Check);
    const routed = new Set(o.router?.networks ?? []);
    for (const to of o.machines) {
        const sources = o.machines.filter((s) => s.id !== to.id && (s.network === to.network || (routed.has(s.network) && routed.has(to.network))));
        for (const from of sources) {
            const sameNet = from.network === to.network;
            const sameHost = from.host === to.host;
            const scope = sameNet ? (sameHost ? "same host" : "across the tunnel") : sameHost ? "routed, same host" : "routed, across the tunnel";
            if (allowsIcmpFrom(to, from.ip)) {
                checks.push({ kind: "ping", name: `ping ${from.id} → ${to.id} (${scope})`, from: from.id, to: to.id, expect: "reply", scope });
            }
        }
        const blockedFrom = sources.filter((s) => s.network === to.network && !allowsIcmpFrom(to, s.ip));
        const src = blockedFrom.find((s) => s.host !== to.host) ?? blockedFrom[0];
        if (src) {
            checks.push({
                kind: "ping",
                name: `${to.id}'s security group (${to.securityGroup}) has no ICMP rule: ${src.id} → ${to.id} gets no reply`,
                from: src.id,
                to: to.id,
                expect: "blocked",
                scope: src.host === to.host ? "same host" : "across the tunnel",
            });
        }
    }
    const routedPings = checks.filter((c): c is Extract<Check, { kind: "ping" }> => c.kind === "ping" && c.expect === "reply" && c.scope.startsWith("routed"));
    const across = routedPings.find((c) => c.scope === "routed, across the tunnel");
    if (across) {
        const [f, t] = [across.from, across.to];
        checks.push({ kind: "routed-on-source", name: `${f} → ${t} is routed on ${f}'s host: on the underlay it carries ${t}'s network VNI and ${f}'s host DVR MAC`, from: f, to: t });
        checks.push({ kind: "no-gateway-arp", name: `${f}'s ARP for its gateway is answered on its host and never crosses a tunnel`, from: f, to: t });
    }
    const local = routedPings.find((c) => c.scope === "routed, same host");
    if (local) checks.push({ kind: "same-host-local", name: `${local.from} → ${local.to} (two subnets, one host) never touches the underlay`, from: local.from, to: local.to });
    for (const host of Object.keys(o.router?.dvrMacs ?? {}).sort()) {
        checks.push({ kind: "gateway-mac-local", name: `${host}: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)`, host });
    }
    for (const vm of o.machines) {
        const spoofedIp = spoofAddress(o, vm);
        checks.push({ kind: "arp-spoof", name: `${vm.id}: ARP reply claiming ${spoofedIp} dropped at br-int table 24, its real one passes`, vm: vm.id, spoofedIp });
    }
    return checks;
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
    const steps: TraceStep[] = [{ host: from.host, bridge: "br-int", flow: `in_port=${from.ofport},${pkt}` }];
    if (from.host !== to.host) {
        const src = o.hosts.find((h) => h.name === from.host)!;
        const net = o.networks.find((n) => n.name === to.network)!;
        steps.push({ host: from.host, bridge: "br-tun", flow: `in_port={port:patch-int},dl_vlan=${from.vlan},${pkt}` });
        steps.push({ host: to.host, bridge: "br-tun", flow: `in_port={port:${tunnelPortName(src.tunnelIp)}},tun_id=0x${net.vni.toString(16)},${pkt}` });
        steps.push({ host: to.host, bridge: "br-int", flow: `in_port={port:patch-tun},dl_vlan=${to.vlan},${pkt}` });
    }
    return steps;
}

/** A routed echo: to the gateway on the source's br-int, out of the destination network's qr- port, and across when the hosts differ (source = the source host's DVR MAC). */
export function routedTrace(o: StackOutputs, from: Machine, to: Machine): TraceStep[] {
    const net = (m: Machine) => o.networks.find((n) => n.name === m.network)!;
    const gwFrom = net(from).gatewayMac ?? "00:00:00:00:00:00";
    const gwTo = net(to).gatewayMac ?? "00:00:00:00:00:00";
    const ip = `icmp,nw_src=${from.ip},nw_dst=${to.ip},icmp_type=8`;
    const steps: TraceStep[] = [
        { host: from.host, bridge: "br-int", flow: `in_port=${from.ofport},dl_src=${from.mac},dl_dst=${gwFrom},${ip}` },
        { host: from.host, bridge: "br-int", flow: `in_port={port:qr-${to.network}},dl_src=${gwTo},dl_dst=${to.mac},${ip}` },
    ];
    if (from.host !== to.host) {
        const src = o.hosts.find((h) => h.name === from.host)!;
        const dvr = o.router?.dvrMacs[from.host] ?? gwTo;
        steps.push({ host: to.host, bridge: "br-tun", flow: `in_port={port:${tunnelPortName(src.tunnelIp)}},tun_id=0x${net(to).vni.toString(16)},dl_src=${dvr},dl_dst=${to.mac},${ip}` });
        steps.push({ host: to.host, bridge: "br-int", flow: `in_port={port:patch-tun},dl_vlan=${to.vlan},dl_src=${dvr},dl_dst=${to.mac},${ip}` });
    }
    return steps;
}

export function dhcpTrace(vm: Machine): TraceStep[] {
    return [{ host: vm.host, bridge: "br-int", flow: `in_port=${vm.ofport},udp,dl_src=${vm.mac},dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,tp_src=68,tp_dst=67` }];
}

export function arpTrace(vm: Machine, spa: string): TraceStep[] {
    return [{ host: vm.host, bridge: "br-int", flow: `in_port=${vm.ofport},arp,arp_op=2,dl_src=${vm.mac},dl_dst=ff:ff:ff:ff:ff:ff,arp_sha=${vm.mac},arp_spa=${spa},arp_tpa=${spa}` }];
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

/** The rows of `ovs-appctl fdb/show` (port, VLAN, MAC) whose MAC is one of `macs`. */
export function fdbRowsFor(fdbShow: string, macs: string[]): { port: string; vlan: number; mac: string }[] {
    const want = new Set(macs.map((m) => m.toLowerCase()));
    return fdbShow
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((r) => r.length >= 3 && /^\d+$/.test(r[1]) && want.has(r[2].toLowerCase()))
        .map((r) => ({ port: r[0], vlan: Number(r[1]), mac: r[2].toLowerCase() }));
}
