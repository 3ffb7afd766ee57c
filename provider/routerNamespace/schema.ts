import { z } from "zod";
import { connection, owner } from "../core/schema";
import { netnsName } from "../netns/planner";

/**
 * A router's network namespace (Neutron's L3 agent: qrouter-<router id>). The sysctls are the ones
 * Neutron's Namespace.create sets: forwarding on, and ARP answered only for addresses of the
 * incoming interface with the best local source (every host's qr- ports share gateway IP and MAC).
 */
export const routerNamespaceSchema = z.object({
    connection,
    owner,
    /** The namespace, e.g. qrouterNamespace("r1") = qrouter-r1. */
    name: netnsName,
    /** net.ipv4.ip_forward */
    ipForward: z.boolean().default(true),
    /** net.ipv4.conf.all.arp_ignore (Neutron: 1) */
    arpIgnore: z.number().int().min(0).max(8).default(1),
    /** net.ipv4.conf.all.arp_announce (Neutron: 2) */
    arpAnnounce: z.number().int().min(0).max(2).default(2),
});

export type RouterNamespaceArgs = z.input<typeof routerNamespaceSchema>;
export type RouterNamespaceSpec = z.output<typeof routerNamespaceSchema>;

/** A router id as Neutron's namespace carries it: lower-case letters, digits, '-'; qrouter-<id> stays within 63. */
export const routerId = z
    .string()
    .min(1)
    .max(55, "at most 55 characters (the namespace qrouter-<id> stays within 63)")
    .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "lower-case letters, digits and '-', starting and ending with a letter or digit");

/** Neutron's name for a router's namespace. */
export function qrouterNamespace(id: string): string {
    const r = routerId.safeParse(id);
    if (!r.success) throw new Error(`qrouterNamespace: router id ${JSON.stringify(id)}: ${r.error.issues.map((i) => i.message).join("; ")}`);
    return `qrouter-${id}`;
}

export const routerNamespaceOutputs = z.object({});
