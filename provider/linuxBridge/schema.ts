import { z } from "zod";
import { connection, ifName, owner } from "../core/schema";

export const linuxBridgeSchema = z
    .object({
        connection,
        owner,
        name: ifName,
        stp: z.boolean().default(false),
        /** Seconds; the seed sets 0 (`brctl setfd qbr 0`). With STP on the kernel wants 2–30. */
        forwardDelay: z.number().int().min(0).max(30).default(0),
        multicastSnooping: z.boolean().default(false),
        up: z.boolean().default(true),
        /** The bridge's MTU (Nova sets the network's MTU on qbr); unset = leave as is. */
        mtu: z.number().int().min(68).max(65535).optional(),
        /** Pass bridged IPv4 through iptables (Neutron's hybrid firewall needs it); unset = leave as is. */
        nfCallIptables: z.boolean().optional(),
    })
    .refine((b) => !b.stp || b.forwardDelay >= 2, { message: "with stp on, forwardDelay must be 2–30 seconds", path: ["forwardDelay"] });

export type LinuxBridgeArgs = z.input<typeof linuxBridgeSchema>;
export type LinuxBridgeSpec = z.output<typeof linuxBridgeSchema>;

export const linuxBridgeOutputs = z.object({});
