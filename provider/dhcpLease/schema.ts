import { z } from "zod";
import { connection, ipv4, mac } from "../core/schema";
import { isHostAddress, subnetOf } from "../net/ipv4";
import { networkId, serverCidr } from "../dhcpServer/schema";

/** RFC 1123 host name: dot-separated labels of letters, digits and '-', not starting or ending with '-'. */
export const hostname = z
    .string()
    .min(1)
    .max(253)
    .regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
        "an RFC 1123 host name (labels of letters, digits and '-', at most 63 each)",
    )
    .refine((h) => !/^[0-9.]+$/.test(h), "a host name, not a number");

export const dhcpLeaseSchema = z
    .object({
        connection,
        /** The DhcpServer's network (its `network` output). */
        network: networkId,
        /** The DhcpServer's address with prefix (its `address` output): the lease's IP must be in that subnet. */
        serverAddress: serverCidr,
        mac,
        hostname,
        ip: ipv4,
    })
    .superRefine((l, ctx) => {
        const s = subnetOf(l.serverAddress);
        if (!isHostAddress(l.ip, s))
            ctx.addIssue({ code: "custom", path: ["ip"], message: `${l.ip} is not a host address of the server's subnet ${s.network}/${s.prefix}` });
        else if (l.ip === s.address) ctx.addIssue({ code: "custom", path: ["ip"], message: `${l.ip} is the DHCP server's own address` });
        if (parseInt(l.mac.slice(0, 2), 16) & 1)
            ctx.addIssue({ code: "custom", path: ["mac"], message: "a multicast MAC (odd first octet) cannot be a NIC's address" });
    });

export type DhcpLeaseArgs = z.input<typeof dhcpLeaseSchema>;
export type DhcpLeaseSpec = z.output<typeof dhcpLeaseSchema>;

/** Host-computed: the lines this lease keeps in dnsmasq's files. */
export const dhcpLeaseOutputs = z.object({ hostsLine: z.string(), addnHostsLine: z.string() });
export type DhcpLeaseOutputs = z.output<typeof dhcpLeaseOutputs>;
