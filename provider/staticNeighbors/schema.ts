import { z } from "zod";
import { connection, ifName, ipv4, mac, owner } from "../core/schema";
import { ipToInt } from "../net/ipv4";
import { netnsName } from "../netns/planner";

export const neighborEntry = z.object({ ip: ipv4, mac }).strict();

/**
 * Permanent IPv4 neighbor entries on one device (what Neutron's L3 agent adds in a DVR router's
 * namespace for every VM of its subnets, so the router never ARPs across the tunnels). A set:
 * order does not matter (kept sorted by address), an address appears once.
 */
export const staticNeighborsSchema = z.object({
    connection,
    owner,
    /** The namespace holding the device (e.g. qrouter-…); unset = the host's own. */
    namespace: netnsName.optional(),
    device: ifName,
    entries: z
        .array(neighborEntry)
        .max(4096)
        .superRefine((es, ctx) => {
            const seen = new Set<string>();
            es.forEach((e, i) => {
                if (seen.has(e.ip)) ctx.addIssue({ code: "custom", path: [i, "ip"], message: `${e.ip} appears more than once` });
                seen.add(e.ip);
            });
        })
        .transform((es) => [...es].sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip))),
});

export type StaticNeighborsArgs = z.input<typeof staticNeighborsSchema>;
export type StaticNeighborsSpec = z.output<typeof staticNeighborsSchema>;
export type NeighborEntry = z.output<typeof neighborEntry>;

export const staticNeighborsOutputs = z.object({});
