import { z } from "zod";
import { cidr4, connection, ifName, ipv4, mac, owner } from "../core/schema";

/** A network namespace name (`ip netns`): a file name under /run/netns. */
export const netnsName = z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' only, starting with a letter or digit");

/**
 * A stand-in for a VM: a network namespace whose one NIC is a veth; the host end is the VM's tap
 * (in its qbr, as libvirt would plug it), the namespace end carries the VM's MAC and address.
 * No boot time: benchmarks and tests of the network alone.
 */
export const netnsGuestSchema = z
    .object({
        connection,
        owner,
        /** The namespace (`ip netns add <name>`). */
        name: netnsName,
        /** The host end of the veth (the seed's tap-<vm>), marked with the owner in its ifalias. */
        tap: ifName,
        /** A Linux bridge to plug the tap into (the seed's qbr-<vm>); unset = left alone. */
        bridge: ifName.optional(),
        /** The guest's NIC inside the namespace. */
        guestIf: ifName.default("eth0"),
        mac,
        /** The guest's address with prefix, set statically (no DHCP client in a namespace). */
        address: cidr4,
        /** The default route's next hop (a routed network's gateway); unset = no default route. */
        gateway: ipv4.optional(),
        /** VXLAN overhead: the guest's MTU (DHCP option 26 in the seed's network). */
        mtu: z.number().int().min(68).max(65535).default(1450),
    })
    .strict()
    .refine((v) => v.tap !== v.guestIf, { message: "tap must differ from guestIf (both ends exist on the host while the pair is made)", path: ["tap"] });

export type NetnsGuestArgs = z.input<typeof netnsGuestSchema>;
export type NetnsGuestSpec = z.output<typeof netnsGuestSchema>;

export const netnsGuestOutputs = z.object({});
