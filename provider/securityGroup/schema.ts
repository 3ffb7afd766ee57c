import { z } from "zod";
import { cidr4, connection, ifName, ipv4, mac, owner } from "../core/schema";

/** A CIDR's network address with its prefix: what iptables stores for `-s`. */
export function networkOf(cidr: string): string {
    const [ip, len] = cidr.split("/");
    const bits = Number(len);
    const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
    const net = Number((BigInt(n) & BigInt(mask)).toString());
    return `${[24, 16, 8, 0].map((sh) => (net >>> sh) & 255).join(".")}/${bits}`;
}

/** tcp/udp destination port or range "from:to". */
const port = z
    .union([
        z.number().int().min(1).max(65535),
        z
            .string()
            .regex(/^\d{1,5}:\d{1,5}$/, "a port range like 8000:8080")
            .refine((r) => {
                const [a, b] = r.split(":").map(Number);
                return !/^\d{1,5}:\d{1,5}$/.test(r) || (a >= 1 && b <= 65535 && a <= b);
            }, "a port range from:to with 1 ≤ from ≤ to ≤ 65535")
            // as iptables prints it back: "22:22" is port 22, "0080:0090" is 80:90
            .transform((r): number | string => {
                const [a, b] = r.split(":").map(Number);
                return a === b ? a : `${a}:${b}`;
            }),
    ])
    .optional();

const protocol = z.enum(["icmp", "tcp", "udp", "any"]);
const portNeedsTcpUdp = (r: { port?: unknown; protocol: string }) => r.port === undefined || r.protocol === "tcp" || r.protocol === "udp";

/** One allow rule, as in a Neutron security group: remoteCidr is the source of ingress traffic, the destination of egress. */
export const ruleSchema = z
    .object({
        protocol,
        port,
        /** Host bits are cleared, as iptables does ("10.0.0.1/24" is 10.0.0.0/24). */
        remoteCidr: cidr4.default("0.0.0.0/0").transform(networkOf),
    })
    .strict()
    .refine(portNeedsTcpUdp, { message: "port applies to tcp/udp only", path: ["port"] });

/** A group name (`securityGroups.<name>`, a VM's `securityGroup`, a rule's `remoteGroup`). */
export const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '_', '.', '-'");

/**
 * A rule as a topology writes it: the remote end is a CIDR (default anywhere) or `remoteGroup`, the
 * addresses of that group's member VMs (Neutron's remote_group_id), resolved by resolveGroups.
 */
export const groupRuleSchema = z
    .object({
        protocol,
        port,
        remoteCidr: cidr4.transform(networkOf).optional(),
        remoteGroup: groupName.optional(),
    })
    .strict()
    .refine(portNeedsTcpUdp, { message: "port applies to tcp/udp only", path: ["port"] })
    .refine((r) => r.remoteCidr === undefined || r.remoteGroup === undefined, { message: "remoteCidr or remoteGroup, not both", path: ["remoteGroup"] });

/** A security group in a topology. */
export const groupSchema = z
    .object({
        /** Allowed traffic to the group's VMs. */
        ingress: z.array(groupRuleSchema).default([]),
        /** Allowed traffic from them; unset = all (as Neutron gives every new group), [] = none. */
        egress: z.array(groupRuleSchema).optional(),
    })
    .strict();

export const securityGroupSchema = z.object({
    connection,
    owner,
    /** The VM's id: names the chains (dvrl-i-<id>, dvrl-o-<id>, dvrl-s-<id>). */
    portId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,19}$/, "lower-case letters, digits, '-', at most 20"),
    /** The VM's tap device: Neutron's hybrid firewall matches it with physdev on the qbr bridge. */
    tap: ifName,
    /** The VM's address and MAC: the only source pair its port may send from (Neutron's port security). */
    ip: ipv4,
    mac,
    /** Allowed traffic to the VM (after established/related and DHCP replies); the rest is dropped. */
    ingress: z.array(ruleSchema).default([]),
    /**
     * Allowed traffic from the VM (after the source check, DHCP client traffic and established/related).
     * Unset = all, as Neutron gives every new group; [] = none but DHCP and replies.
     */
    egress: z.array(ruleSchema).default(() => [{ protocol: "any" as const, remoteCidr: "0.0.0.0/0" }]),
    /** Not for users to set: refresh reports "broken: …" when the host's chains are incomplete, so up rewrites them. */
    enforcement: z.literal("enforced").default("enforced"),
});

export type SecurityGroupArgs = z.input<typeof securityGroupSchema>;
export type SecurityGroupSpec = z.output<typeof securityGroupSchema>;
export type Rule = z.output<typeof ruleSchema>;

export const securityGroupOutputs = z.object({});
export type GroupRule = z.output<typeof groupRuleSchema>;
export type Group = z.output<typeof groupSchema>;
