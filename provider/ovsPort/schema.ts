import { z } from "zod";
import { connection, ifName, ipv4, owner, vlan } from "../core/schema";
import { externalIds } from "../ovs/vsctl";

export const ovsPortSchema = z
    .object({
        connection,
        owner,
        bridge: ifName,
        name: ifName,
        type: z.enum(["system", "internal", "patch", "vxlan"]).default("system"),
        /** Local VLAN (br-int access port); unset = trunk. */
        tag: vlan.optional(),
        ofportRequest: z.number().int().min(1).max(65279).optional(),
        options: z
            .object({
                peer: ifName.optional(),
                remoteIp: ipv4.optional(),
                localIp: ipv4.optional(),
                /** VNI, or "flow" to set it per packet with set_tunnel (Neutron's br-tun). */
                key: z
                    .union([
                        z
                            .number()
                            .int()
                            .min(0)
                            .max(2 ** 24 - 1),
                        z.literal("flow"),
                    ])
                    .optional(),
                dstPort: z.number().int().min(1).max(65535).optional(),
            })
            .strict()
            .default({}),
        externalIds: externalIds.default({}),
        /**
         * Use a port of this name that dvrlab did not create (e.g. a Neutron node's patch port on an
         * adopted bridge): converged and marked, its own external_ids and options kept; destroy
         * removes only dvrlab's marks, never the port. Unset: such a port is refused.
         */
        adopt: z.boolean().optional(),
    })
    .superRefine((p, ctx) => {
        if (p.type === "patch" && !p.options.peer) ctx.addIssue({ code: "custom", path: ["options", "peer"], message: "a patch port needs options.peer" });
        if (p.type === "vxlan" && !p.options.remoteIp)
            ctx.addIssue({ code: "custom", path: ["options", "remoteIp"], message: "a vxlan port needs options.remoteIp" });
        if (p.type !== "vxlan" && (p.options.remoteIp || p.options.localIp || p.options.key !== undefined || p.options.dstPort)) {
            ctx.addIssue({ code: "custom", path: ["options"], message: `tunnel options only apply to type vxlan, not ${p.type}` });
        }
        if (p.type !== "patch" && p.options.peer) ctx.addIssue({ code: "custom", path: ["options", "peer"], message: "peer only applies to type patch" });
    });

export type OvsPortArgs = z.input<typeof ovsPortSchema>;
export type OvsPortSpec = z.output<typeof ovsPortSchema>;

/** Host-computed: the port's OpenFlow number. */
export const ovsPortOutputs = z.object({ ofport: z.number() });
