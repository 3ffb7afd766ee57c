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

/** One allow rule, as in a Neutron security group: remoteCidr is the source of ingress traffic, the destination of egress. */
export const ruleSchema = z
    .object({
        protocol: z.enum(["icmp", "tcp", "udp", "any"]),
        /** tcp/udp destination port or range "from:to". */
        port: z
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
            .optional(),
        /** Host bits are cleared, as iptables does ("10.0.0.1/24" is 10.0.0.0/24). */
        remoteCidr: cidr4.default("0.0.0.0/0").transform(networkOf),
    })
    .strict()
    .refine((r) => r.port === undefined || r.protocol === "tcp" || r.protocol === "udp", { message: "port applies to tcp/udp only", path: ["port"] });

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
