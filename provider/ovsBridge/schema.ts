import { z } from "zod";
import { connection, ifName, owner } from "../core/schema";
import { externalIds } from "../ovs/vsctl";

export const ovsBridgeSchema = z.object({
    connection,
    owner,
    name: ifName,
    /** netdev (userspace) or system (kernel); unset = detected on the host. */
    datapathType: z.enum(["netdev", "system"]).optional(),
    /** Neutron runs br-int and br-tun in secure mode: no NORMAL fallback without a controller. */
    failMode: z.enum(["secure", "standalone"]).default("secure"),
    /** OpenFlow 1.4 is in the default because FlowEntry writes with `add-flows --bundle` (bundles need 1.4). */
    protocols: z
        .array(z.enum(["OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15"]))
        .default(["OpenFlow10", "OpenFlow13", "OpenFlow14"]),
    externalIds: externalIds.default({}),
    /**
     * Use a bridge of this name that dvrlab did not create (a Neutron or OVN node's br-int): it is
     * converged to these settings and marked, its other external_ids are kept, and destroy removes
     * only dvrlab's marks, never the bridge. Unset: such a bridge is refused.
     */
    adopt: z.boolean().optional(),
});

export type OvsBridgeArgs = z.input<typeof ovsBridgeSchema>;
export type OvsBridgeSpec = z.output<typeof ovsBridgeSchema>;

/** Host-decided when not given: the datapath type detected on the host. */
export const ovsBridgeOutputs = z.object({ datapathType: z.enum(["netdev", "system"]).optional() });
