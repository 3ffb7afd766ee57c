import { z } from "zod";
import { connection, ifName, ipv4 } from "../core/schema";

/**
 * What a host must offer before dvrlab changes anything on it. The stack derives `needs` from the
 * topology (DHCP on the network host, libvirt where VMs run, routers where they are placed).
 */
export const hostPreflightSchema = z
    .object({
        connection,
        needs: z
            .object({
                /** Open vSwitch (every DVR host). */
                ovs: z.boolean().default(true),
                /** iptables with physdev and bridge netfilter (security groups). */
                iptables: z.boolean().default(true),
                /** dnsmasq (the DHCP agent's host). */
                dnsmasq: z.boolean().default(false),
                /** libvirt (hosts with VMs). */
                libvirt: z.boolean().default(false),
            })
            .strict()
            .default({ ovs: true, iptables: true, dnsmasq: false, libvirt: false }),
        /** The VXLAN endpoint: must be an address of this host. */
        tunnelIp: ipv4.optional(),
        /** The largest network MTU on this host: the tunnel's interface needs it plus VXLAN's 50 bytes. */
        mtu: z.number().int().min(576).max(9000).default(1450),
        /** VXLAN's UDP port: free, or held by Open vSwitch. */
        vxlanPort: z.number().int().min(1).max(65535).default(4789),
        /**
         * The OVS bridges the stack puts on this host: one that exists without dvrlab's owner mark
         * fails preflight unless `adopt` (checked here so that no host changes before the refusal).
         */
        bridges: z.array(z.object({ name: ifName, adopt: z.boolean().default(false) }).strict()).default([]),
    })
    .strict();

export type HostPreflightSpec = z.output<typeof hostPreflightSchema>;

export const findingSchema = z.object({
    check: z.string(),
    ok: z.boolean(),
    /** What was found (a version, an address, a value). */
    detail: z.string(),
    /** How to fix it, when not ok. */
    fix: z.string().optional(),
});
export type Finding = z.output<typeof findingSchema>;

/** Host-computed: every check's finding, and the versions seen. */
export const hostPreflightOutputs = z.object({
    findings: z.array(findingSchema),
    versions: z.record(z.string(), z.string()),
});
