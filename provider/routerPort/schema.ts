import { z } from "zod";
import { connection, ifName, mac, owner, vlan } from "../core/schema";
import { serverCidr } from "../dhcpServer/schema";
import { netnsName } from "../netns/planner";

/**
 * A router interface (Neutron's qr-<port id>): an OVS internal port on br-int with the network's
 * local VLAN, inside the router's namespace, with the subnet's gateway MAC and address. In DVR the
 * same MAC and address are on every host; br-tun's DVR_PROCESS flows keep them off the tunnels.
 */
export const routerPortSchema = z.object({
    connection,
    owner,
    bridge: ifName.default("br-int"),
    /** qr- + the first 11 characters of Neutron's port id (14 characters). */
    name: ifName,
    /** The router's namespace (a RouterNamespace), e.g. qrouter-<router id>. */
    namespace: netnsName,
    /** The network's local VLAN on br-int. */
    tag: vlan,
    /** The gateway MAC (the same on every host). */
    mac,
    /** The gateway address with the subnet's prefix, e.g. 192.168.10.1/24. */
    address: serverCidr,
    /** 1450 on VXLAN networks (Neutron sets the network MTU on router ports). */
    mtu: z.number().int().min(576).max(9000).default(1450),
    /**
     * TX checksum offload on the port. OVS's userspace datapath forwards what the kernel hands the
     * tap with unfinished checksums; unset = off on hosts without the kernel datapath, on otherwise.
     */
    txChecksum: z.boolean().optional(),
});

export type RouterPortArgs = z.input<typeof routerPortSchema>;
export type RouterPortSpec = z.output<typeof routerPortSchema>;

/** Host-computed: the port's OpenFlow number (-1 while OVS has none) and the checksum setting chosen. */
export const routerPortOutputs = z.object({ ofport: z.number(), txChecksum: z.boolean() });
export type RouterPortOutputs = z.output<typeof routerPortOutputs>;
