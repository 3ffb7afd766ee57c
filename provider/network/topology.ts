// The DVR topology as data: validated from stack config, resolved by a pure function into
// resource arguments. The Pulumi program (index.ts) only creates resources from the result.
import { createHash } from "crypto";
import { z } from "zod";
import { dvrMacs } from "../flows/dvrMac";
import { bastion, cidr4, configKey, hostName, ifName, ipv4, mac, vlan, vni } from "../core/schema";
import { resolveGroups, unknownRemoteGroups } from "../securityGroup/groups";
import { groupSchema, ruleSchema } from "../securityGroup/schema";
import { intToIp, ipToInt, isHostAddress, subnetOf } from "../net/ipv4";

const shortId = z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'")
    .max(11, "at most 11 characters: device names are <prefix>-<id> within 15 (IFNAMSIZ)");

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lower-case letters, digits and '-', at most 31");

/** A VNI as YAML gives it: 2067, or "0x813" as the seed writes it. */
const vniInput = z
    .union([
        vni,
        z
            .string()
            .regex(/^0x[0-9a-fA-F]{1,6}$/, "a number or hex like 0x813")
            .transform((s) => parseInt(s, 16)),
    ])
    .pipe(vni);

/** br-int ofports below this are for patch-tun (1) and the DHCP agent's ports (OVS-assigned). */
export const FIRST_VM_OFPORT = 100;

/**
 * A VM port's OpenFlow number on br-int, requested from OVS (ofport_request) instead of waiting for
 * the one OVS would assign: the port-security flows are then known when the program runs, so a
 * preview shows them unchanged when something else about the port (its tag) changes. Derived from
 * the id (FNV-1a), so adding or removing other VMs never renumbers a port.
 */
export function vmOfport(id: string): number {
    let h = 0x811c9dc5;
    for (const c of Buffer.from(id)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
    return FIRST_VM_OFPORT + (h % 60000);
}

/** The patch ports joining a host's two bridges (Neutron's names). */
export const PATCH_PORTS = ["patch-int", "patch-tun"];

/** A host's bridge names, defaults filled in. */
export function bridgesOf(h: { bridges?: { int?: string; tun?: string } }): { int: string; tun: string } {
    return { int: h.bridges?.int ?? "br-int", tun: h.bridges?.tun ?? "br-tun" };
}

export const topologySchema = z
    .object({
        hosts: z
            .array(
                z
                    .object({
                        name,
                        address: hostName,
                        port: z.number().int().min(1).max(65535).default(22),
                        user: z
                            .string()
                            .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name")
                            .default("root"),
                        /** Config key of this host's private key (dvrlab:<keyRef> or dvrlab:<keyRef>File); unset: dvrlab:sshPrivateKey, one for all. */
                        keyRef: configKey.optional(),
                        /** true: authenticate with the ssh-agent at SSH_AUTH_SOCK of the pulumi process (the key too, when configured). */
                        agent: z.boolean().optional(),
                        /** "sudo": user is not root and runs every command through passwordless `sudo -n`. */
                        become: z.enum(["sudo"]).optional(),
                        /** A jump host (ssh -J) the host is reached through; its host key pinned in the same known hosts. */
                        bastion: bastion.optional(),
                        /** network: runs the DHCP agent (the seed's server-233, all-in-one); compute: VMs only. */
                        role: z.enum(["network", "compute"]).default("compute"),
                        /** The VXLAN endpoint address (Neutron's local_ip); unset = address (an IP). */
                        tunnelIp: ipv4.optional(),
                        /**
                         * Bridges of this name already on the host (a Neutron/OVN node's br-int) that dvrlab may
                         * use: converged and marked, never deleted (destroy removes only what dvrlab added).
                         */
                        adopt: z.array(ifName).optional(),
                        /**
                         * This host's bridge names (a host whose br-int is someone else's can use others):
                         * int is Neutron's br-int, tun its br-tun. Default br-int and br-tun.
                         */
                        bridges: z
                            .object({ int: ifName.default("br-int"), tun: ifName.default("br-tun") })
                            .strict()
                            .optional(),
                    })
                    .strict()
                    .superRefine((h, ctx) => {
                        const b = bridgesOf(h);
                        if (b.int === b.tun) ctx.addIssue({ code: "custom", path: ["bridges", "tun"], message: `must differ from bridges.int (${b.int})` });
                        // The patch ports (patch-int, patch-tun) are devices of their own: a bridge cannot share their name.
                        for (const k of ["int", "tun"] as const)
                            if (PATCH_PORTS.includes(b[k])) ctx.addIssue({ code: "custom", path: ["bridges", k], message: `${b[k]} is a patch port's name` });
                        (h.adopt ?? []).forEach((a, i) => {
                            if (a !== b.int && a !== b.tun)
                                ctx.addIssue({ code: "custom", path: ["adopt", i], message: `${a} is not one of this host's bridges (${b.int}, ${b.tun})` });
                        });
                    }),
            )
            .min(1),
        networks: z
            .array(
                z
                    .object({
                        name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,19}$/, "lower-case letters, digits and '-', at most 20"),
                        cidr: cidr4,
                        vni: vniInput,
                        /** The local VLAN of the network on every br-int (the seed's tag 1). */
                        vlan: vlan.refine((v) => v >= 1 && v <= 4094, "a VLAN id 1–4094"),
                        /** The DHCP server's address; unset = the subnet's second address (.2). */
                        dhcpAddress: ipv4.optional(),
                        /** The gateway (the distributed router's qr- address); unset = the first address (.1). */
                        gateway: ipv4.optional(),
                        /** The gateway's MAC, the same on every host (Neutron's router interface port); unset = derived from the name. */
                        gatewayMac: mac.optional(),
                        /** The network's MTU: DHCP option 26, the DHCP and qr- ports, each VM's qbr/qvb/qvo (Neutron's 1450 for VXLAN on a 1500-byte underlay). */
                        mtu: z.number().int().min(576).max(9000).default(1450),
                    })
                    .strict(),
            )
            .min(1),
        /** Distributed routers (Neutron DVR): each routes between its networks on every host that has VMs on them. */
        routers: z
            .array(
                z
                    .object({
                        id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,19}$/, "lower-case letters, digits and '-', at most 20 (namespace qrouter-<id>)"),
                        networks: z.array(z.string()).min(2, "a router joins at least two networks"),
                    })
                    .strict(),
            )
            .default([]),
        /** Neutron's dvr_base_mac: each host's DVR MAC keeps its first three octets (the rest derived from the host name). */
        dvrBaseMac: mac.default("fa:16:3f:00:00:00"),
        /**
         * Security groups by name: ingress and egress allow rules, the remote end a CIDR or `remoteGroup`
         * (its member VMs). Undeclared, `default` is Neutron's: ingress from its own members, egress all.
         */
        securityGroups: z.record(name, groupSchema).default({}),
        vms: z
            .array(
                z
                    .object({
                        id: shortId,
                        host: z.string(),
                        network: z.string(),
                        mac,
                        ip: ipv4,
                        /** libvirt: a domain booting the guest image; netns: a network namespace with the static MAC/IP (no boot, no image). */
                        kind: z.enum(["libvirt", "netns"]).default("libvirt"),
                        securityGroup: z.string().default("default"),
                        /** qvo's OpenFlow port on br-int; unset = derived from the id (see vmOfport). */
                        ofport: z.number().int().min(FIRST_VM_OFPORT).max(65279).optional(),
                        memoryMiB: z.number().int().min(64).max(65536).optional(),
                    })
                    .strict(),
            )
            .default([]),
        /**
         * Prefix of libvirt domain names (default none: the VM id, as the seed's `cirros`). Two stacks
         * whose hosts share one machine's cgroup tree (two labs) need distinct domain names.
         */
        domainPrefix: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{0,15}$/, "lower-case letters, digits and '-', at most 16")
            .default(""),
        /** The guest image of libvirt VMs: a manifest.json (lab/guest/build.sh writes one); the program may pass one instead. */
        guestManifest: z.string().optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
        const dup = <T>(items: T[], key: (x: T) => string, path: (i: number) => (string | number)[], what: string) => {
            const seen = new Map<string, number>();
            items.forEach((x, i) => {
                const k = key(x);
                if (seen.has(k)) ctx.addIssue({ code: "custom", path: path(i), message: `duplicate ${what} ${k} (also at index ${seen.get(k)})` });
                else seen.set(k, i);
            });
        };
        dup(
            t.hosts,
            (h) => h.name,
            (i) => ["hosts", i, "name"],
            "host name",
        );
        dup(
            t.hosts,
            (h) => h.tunnelIp ?? h.address,
            (i) => ["hosts", i, "tunnelIp"],
            "tunnel address",
        );
        dup(
            t.networks,
            (n) => n.name,
            (i) => ["networks", i, "name"],
            "network name",
        );
        dup(
            t.networks,
            (n) => String(n.vni),
            (i) => ["networks", i, "vni"],
            "VNI",
        );
        dup(
            t.networks,
            (n) => String(n.vlan),
            (i) => ["networks", i, "vlan"],
            "local VLAN",
        );
        dup(
            t.vms,
            (v) => v.id,
            (i) => ["vms", i, "id"],
            "VM id",
        );
        dup(
            t.vms,
            (v) => v.mac,
            (i) => ["vms", i, "mac"],
            "MAC",
        );
        dup(
            t.vms,
            (v) => `${v.network}/${v.ip}`,
            (i) => ["vms", i, "ip"],
            "address",
        );
        for (const u of unknownRemoteGroups(t.securityGroups))
            ctx.addIssue({ code: "custom", path: ["securityGroups", ...u.path], message: `unknown security group ${u.group}` });
        t.hosts.forEach((h, i) => {
            if (!h.tunnelIp && !ipv4.safeParse(h.address).success) {
                ctx.addIssue({
                    code: "custom",
                    path: ["hosts", i, "tunnelIp"],
                    message: "required when address is a host name (the VXLAN endpoint must be an IP)",
                });
            }
        });
        const networkHosts = t.hosts.filter((h) => h.role === "network");
        if (networkHosts.length !== 1)
            ctx.addIssue({ code: "custom", path: ["hosts"], message: `exactly one host needs role: network (the DHCP agent's), found ${networkHosts.length}` });
        t.networks.forEach((n, i) => {
            const s = subnetOf(n.cidr);
            if (s.address !== s.network)
                ctx.addIssue({ code: "custom", path: ["networks", i, "cidr"], message: `not a network address: did you mean ${s.network}/${s.prefix}?` });
            if (s.prefix > 29) ctx.addIssue({ code: "custom", path: ["networks", i, "cidr"], message: "the subnet must be /29 or larger" });
            for (const k of ["dhcpAddress", "gateway"] as const) {
                const a = n[k];
                if (a && !isHostAddress(a, s)) ctx.addIssue({ code: "custom", path: ["networks", i, k], message: `${a} is not a host address of ${n.cidr}` });
            }
        });
        const routed = new Map<string, number>();
        t.routers.forEach((r, i) => {
            r.networks.forEach((n, j) => {
                const k = t.networks.findIndex((x) => x.name === n);
                if (k < 0) ctx.addIssue({ code: "custom", path: ["routers", i, "networks", j], message: `unknown network ${n}` });
                else if (t.networks[k].name.length > 12)
                    ctx.addIssue({
                        code: "custom",
                        path: ["networks", k, "name"],
                        message: "a routed network's name is at most 12 characters (its router port is qr-<name>)",
                    });
                if (routed.has(n))
                    ctx.addIssue({ code: "custom", path: ["routers", i, "networks", j], message: `${n} is already on router ${t.routers[routed.get(n)!].id}` });
                routed.set(n, i);
            });
        });
        dup(
            t.routers,
            (r) => r.id,
            (i) => ["routers", i, "id"],
            "router id",
        );
        dup(
            t.networks,
            (n) => resolveNetwork(n).gatewayMac,
            (i) => ["networks", i, "gatewayMac"],
            "gateway MAC",
        );
        try {
            dvrMacs(
                t.dvrBaseMac,
                t.hosts.map((h) => h.name),
            );
        } catch (e: any) {
            ctx.addIssue({ code: "custom", path: ["dvrBaseMac"], message: e.message });
        }
        const hostNames = new Set(t.hosts.map((h) => h.name));
        const nets = new Map(t.networks.map((n) => [n.name, n]));
        t.vms.forEach((vm, i) => {
            if (!hostNames.has(vm.host)) ctx.addIssue({ code: "custom", path: ["vms", i, "host"], message: `unknown host ${vm.host}` });
            const n = nets.get(vm.network);
            if (!n) {
                ctx.addIssue({ code: "custom", path: ["vms", i, "network"], message: `unknown network ${vm.network}` });
            } else {
                const r = resolveNetwork(n);
                const s = subnetOf(n.cidr);
                if (!isHostAddress(vm.ip, s)) ctx.addIssue({ code: "custom", path: ["vms", i, "ip"], message: `${vm.ip} is not a host address of ${n.cidr}` });
                else if (vm.ip === r.dhcpIp || vm.ip === r.gateway)
                    ctx.addIssue({
                        code: "custom",
                        path: ["vms", i, "ip"],
                        message: `${vm.ip} is the network's ${vm.ip === r.gateway ? "gateway" : "DHCP server"} address`,
                    });
            }
            if (vm.securityGroup !== "default" && !(vm.securityGroup in t.securityGroups)) {
                ctx.addIssue({ code: "custom", path: ["vms", i, "securityGroup"], message: `unknown security group ${vm.securityGroup}` });
            }
            const sameOfport = t.vms.findIndex((o, j) => j < i && o.host === vm.host && (o.ofport ?? vmOfport(o.id)) === (vm.ofport ?? vmOfport(vm.id)));
            if (sameOfport >= 0)
                ctx.addIssue({
                    code: "custom",
                    path: ["vms", i, "ofport"],
                    message: `ofport ${vm.ofport ?? vmOfport(vm.id)} is also vms[${sameOfport}]'s on ${vm.host}: set ofport explicitly`,
                });
            if (vm.kind === "netns" && vm.memoryMiB !== undefined)
                ctx.addIssue({ code: "custom", path: ["vms", i, "memoryMiB"], message: "only a libvirt VM has memory (a netns guest is a namespace)" });
            if (parseInt(vm.mac.slice(0, 2), 16) & 1)
                ctx.addIssue({ code: "custom", path: ["vms", i, "mac"], message: "a multicast MAC (odd first octet) cannot be a NIC's address" });
        });
    });

export type TopologyInput = z.input<typeof topologySchema>;
export type Topology = z.output<typeof topologySchema>;

/** Validates config, naming the config key of every problem (dvrlab:topology.vms[0].mac …). */
export function parseTopology(raw: unknown, key = "dvrlab:topology"): Topology {
    const r = topologySchema.safeParse(raw);
    if (!r.success) {
        const lines = r.error.issues.map((i) => `  ${key}${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${i.message}`);
        throw new Error(`invalid configuration:\n${lines.join("\n")}`);
    }
    return r.data;
}

/** A host's connection: `name` is its identity, so a new address or a bastion updates its resources in place. */
export interface Conn {
    host: string;
    port: number;
    user: string;
    name: string;
    keyRef?: string;
    agent?: boolean;
    become?: "sudo";
    bastion?: { host: string; port: number; user: string; keyRef?: string };
}

/** A host's connection, without unset members (Pulumi's Struct cannot carry undefined). */
function connectionOf(h: Topology["hosts"][number]): Conn {
    const { keyRef, agent, become, bastion } = h;
    return {
        host: h.address,
        port: h.port,
        user: h.user,
        name: h.name,
        ...(keyRef !== undefined ? { keyRef } : {}),
        ...(agent !== undefined ? { agent } : {}),
        ...(become !== undefined ? { become } : {}),
        ...(bastion !== undefined ? { bastion: Object.fromEntries(Object.entries(bastion).filter(([, v]) => v !== undefined)) as Conn["bastion"] } : {}),
    };
}

export interface ResolvedHost {
    name: string;
    role: "network" | "compute";
    connection: Conn;
    tunnelIp: string;
    /** Existing bridges dvrlab may adopt on this host (names among `bridges`). */
    adopt: string[];
    /** The host's integration and tunnel bridges. */
    bridges: { int: string; tun: string };
}

export interface ResolvedNetwork {
    name: string;
    cidr: string;
    prefix: number;
    vni: number;
    vlan: number;
    dhcpIp: string;
    gateway: string;
    gatewayMac: string;
    mtu: number;
}

export interface ResolvedVm {
    id: string;
    kind: "libvirt" | "netns";
    /** The libvirt domain's name (libvirt), or the network namespace's (netns). */
    domain: string;
    host: string;
    network: string;
    mac: string;
    ip: string;
    vlan: number;
    /** Its network's MTU. */
    mtu: number;
    /** qvo's OpenFlow port on br-int. */
    ofport: number;
    memoryMiB?: number;
    /** The seed's device names. */
    qbr: string;
    qvb: string;
    qvo: string;
    tap: string;
    securityGroup: string;
    /** The group's rules for this port, remoteGroup resolved to member addresses. */
    ingress: z.output<typeof ruleSchema>[];
    /** Unset: all (the SecurityGroup default). */
    egress?: z.output<typeof ruleSchema>[];
}

export interface ResolvedTunnel {
    /** The host the port is on, and the host it leads to. */
    host: string;
    remote: string;
    /** Neutron's name: vxlan-<remote tunnel IP in hex>. */
    port: string;
    remoteIp: string;
    localIp: string;
}

export interface ResolvedRouter {
    id: string;
    namespace: string;
    networks: ResolvedNetwork[];
    /** Hosts with a VM on one of its networks: each gets the router (namespace, qr- ports, flows). */
    hosts: string[];
}

export interface Plan {
    hosts: ResolvedHost[];
    routers: ResolvedRouter[];
    /** Every host's DVR MAC (the source of what its routers send into tunnels). */
    dvrMacs: Record<string, string>;
    networks: ResolvedNetwork[];
    vms: ResolvedVm[];
    tunnels: ResolvedTunnel[];
    /** The host running the DHCP agent. */
    dhcpHost: string;
}

function resolveNetwork(n: Topology["networks"][number]): ResolvedNetwork {
    const s = subnetOf(n.cidr);
    const base = ipToInt(s.network);
    return {
        name: n.name,
        cidr: `${s.network}/${s.prefix}`,
        prefix: s.prefix,
        vni: n.vni,
        vlan: n.vlan,
        mtu: n.mtu,
        gateway: n.gateway ?? intToIp(base + 1),
        gatewayMac:
            n.gatewayMac ??
            `fa:16:3e:${createHash("sha256")
                .update(`gateway/${n.name}`)
                .digest("hex")
                .slice(0, 6)
                .replace(/(..)(?=.)/g, "$1:")}`,
        dhcpIp: n.dhcpAddress ?? intToIp(base + 2),
    };
}

export function tunnelPortName(remoteIp: string): string {
    return `vxlan-${ipToInt(remoteIp).toString(16).padStart(8, "0")}`;
}

/** Pure: topology → every object the stack builds, with the seed's names. */
export function resolve(t: Topology): Plan {
    const hosts: ResolvedHost[] = t.hosts.map((h) => ({
        name: h.name,
        role: h.role,
        connection: connectionOf(h),
        tunnelIp: h.tunnelIp ?? h.address,
        adopt: h.adopt ?? [],
        bridges: bridgesOf(h),
    }));
    const networks = t.networks.map(resolveNetwork);
    const nets = new Map(networks.map((n) => [n.name, n]));
    const rules = resolveGroups(
        t.securityGroups,
        t.vms.map((vm) => ({ id: vm.id, group: vm.securityGroup, ip: vm.ip })),
    );
    const vms: ResolvedVm[] = t.vms.map((vm) => ({
        id: vm.id,
        kind: vm.kind,
        domain: `${t.domainPrefix}${vm.id}`,
        host: vm.host,
        network: vm.network,
        mac: vm.mac,
        ip: vm.ip,
        vlan: nets.get(vm.network)!.vlan,
        mtu: nets.get(vm.network)!.mtu,
        ofport: vm.ofport ?? vmOfport(vm.id),
        memoryMiB: vm.memoryMiB,
        qbr: `qbr-${vm.id}`,
        qvb: `qvb-${vm.id}`,
        qvo: `qvo-${vm.id}`,
        tap: `tap-${vm.id}`,
        securityGroup: vm.securityGroup,
        ...rules.get(vm.id)!,
    }));
    // A full mesh: every host has a VXLAN port to every other (Neutron without l2population).
    const tunnels: ResolvedTunnel[] = hosts.flatMap((h) =>
        hosts
            .filter((r) => r.name !== h.name)
            .map((r) => ({ host: h.name, remote: r.name, port: tunnelPortName(r.tunnelIp), remoteIp: r.tunnelIp, localIp: h.tunnelIp })),
    );
    const routers: ResolvedRouter[] = t.routers.map((r) => ({
        id: r.id,
        namespace: `qrouter-${r.id}`,
        networks: r.networks.map((n) => nets.get(n)!),
        hosts: hosts.map((h) => h.name).filter((h) => vms.some((v) => v.host === h && r.networks.includes(v.network))),
    }));
    return {
        hosts,
        routers,
        dvrMacs: dvrMacs(
            t.dvrBaseMac,
            hosts.map((h) => h.name),
        ),
        networks,
        vms,
        tunnels,
        dhcpHost: t.hosts.find((h) => h.role === "network")!.name,
    };
}
