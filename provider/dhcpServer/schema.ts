import { z } from "zod";
import { cidr4, connection, ifName, ipv4, owner, vlan } from "../core/schema";
import { isHostAddress, subnetOf } from "../net/ipv4";

/**
 * A network's id: names the `qdhcp-<network>` namespace (Neutron's) and the directory of its
 * dnsmasq files. Lower-case letters, digits and '-', so it is safe as a file name and a dnsmasq tag.
 */
export const networkId = z
    .string()
    .min(1)
    .max(57, "at most 57 characters (the namespace qdhcp-<network> stays within 63)")
    .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "lower-case letters, digits and '-', starting and ending with a letter or digit");

/** A server address with its prefix (192.168.10.2/24): a host address of a subnet of at most /30. */
export const serverCidr = cidr4.superRefine((c, ctx) => {
    const s = subnetOf(c);
    if (s.prefix > 30) ctx.addIssue({ code: "custom", message: "the subnet must be /30 or larger" });
    else if (!isHostAddress(s.address, s))
        ctx.addIssue({ code: "custom", message: `${s.address} is the network or broadcast address of ${s.network}/${s.prefix}` });
});

/** A DNS domain (RFC 1123 labels). */
const dnsDomain = z
    .string()
    .max(253)
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, "a DNS domain like openstacklocal");

export const dhcpServerSchema = z
    .object({
        connection,
        owner,
        network: networkId,
        /** The OVS internal port dnsmasq listens on (Neutron's tap<port id>); unset = tap<network>, cut to 14. */
        port: ifName.optional(),
        bridge: ifName.default("br-int"),
        /** The network's local VLAN on br-int (the seed's tag 1). */
        tag: vlan,
        /** The server's address and the subnet's prefix, e.g. 192.168.10.2/24. */
        address: serverCidr,
        /** Network MTU, handed out as DHCP option 26 (1450 on VXLAN: without it TCP across the tunnel stalls). */
        mtu: z.number().int().min(576).max(9000).default(1450),
        /** Seconds. */
        leaseTime: z
            .number()
            .int()
            .min(120)
            .max(2 ** 31 - 1)
            .default(86400),
        /** Option 3; unset = no router offered (dnsmasq would offer itself). */
        router: ipv4.optional(),
        /** Option 6; unset = the server itself (dnsmasq answers for the addn_hosts names). */
        dnsServers: z.array(ipv4).max(8).optional(),
        domain: dnsDomain.default("openstacklocal"),
        /** false keeps namespace, port and files but stops dnsmasq. read reports a dead dnsmasq as false (drift). */
        running: z.boolean().default(true),
        /**
         * TX checksum offload on the port. OVS's userspace datapath forwards what the kernel hands the
         * tap with unfinished checksums; unset = off on hosts without the kernel datapath, on otherwise.
         */
        txChecksum: z.boolean().optional(),
    })
    .superRefine((d, ctx) => {
        const s = subnetOf(d.address);
        if (d.router && !isHostAddress(d.router, s))
            ctx.addIssue({ code: "custom", path: ["router"], message: `${d.router} is not a host address of ${s.network}/${s.prefix}` });
        if (d.router === s.address) ctx.addIssue({ code: "custom", path: ["router"], message: "the router cannot be the DHCP server's own address" });
    });

export type DhcpServerArgs = z.input<typeof dhcpServerSchema>;
export type DhcpServerSpec = z.output<typeof dhcpServerSchema>;

export const namespaceOf = (network: string) => `qdhcp-${network}`;
export const portOf = (d: Pick<DhcpServerSpec, "network" | "port">) => d.port ?? `tap${d.network}`.slice(0, 14);

/** Host-computed: where the server keeps its files and process, and the checksum setting it chose. */
export const dhcpServerOutputs = z.object({
    namespace: z.string(),
    portName: z.string(),
    hostsFile: z.string(),
    addnHostsFile: z.string(),
    leaseFile: z.string(),
    logFile: z.string(),
    pidFile: z.string(),
    /** dnsmasq's pid when last seen (0: not running). */
    pid: z.number(),
    txChecksum: z.boolean(),
});
export type DhcpServerOutputs = z.output<typeof dhcpServerOutputs>;
