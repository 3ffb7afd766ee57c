// The DVR topology as data: validated from stack config, resolved by a pure function into
// resource arguments. The Pulumi program (index.ts) only creates resources from the result.
import { z } from "zod";
import { hostName, ipv4, mac } from "../../provider/core/schema";

const shortId = z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'")
    .max(11, "at most 11 characters: device names are <prefix>-<id> within 15 (IFNAMSIZ)");

export const topologySchema = z
    .object({
        hosts: z
            .array(
                z.object({
                    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lower-case letters, digits and '-'"),
                    address: hostName,
                    port: z.number().int().min(1).max(65535).default(22),
                    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default("root"),
                    role: z.enum(["network", "compute"]).default("compute"),
                }),
            )
            .min(1),
        vms: z
            .array(
                z.object({
                    id: shortId,
                    host: z.string(),
                    mac,
                    ip: ipv4,
                }),
            )
            .default([]),
    })
    .superRefine((t, ctx) => {
        const names = new Set(t.hosts.map((h) => h.name));
        t.vms.forEach((vm, i) => {
            if (!names.has(vm.host)) ctx.addIssue({ code: "custom", path: ["vms", i, "host"], message: `unknown host ${vm.host}` });
        });
        const seen = new Set<string>();
        t.vms.forEach((vm, i) => {
            if (seen.has(vm.id)) ctx.addIssue({ code: "custom", path: ["vms", i, "id"], message: `duplicate VM id ${vm.id}` });
            seen.add(vm.id);
        });
    });

export type Topology = z.output<typeof topologySchema>;

/** Validates config, naming the config key of every problem (dvrlab:topology.vms[0].mac …). */
export function parseTopology(raw: unknown, key = "dvrlab:topology"): Topology {
    const r = topologySchema.safeParse(raw);
    if (!r.success) {
        const lines = r.error.issues.map((i) => `  ${key}${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${i.message}`);
        throw new Error(`invalid configuration:\n${lines.join("\n")}`);
    }
    return r.data;
}

export interface ResolvedBridge {
    resourceName: string;
    host: string;
    connection: { host: string; port: number; user: string };
    name: string;
}

/** Pure: topology → the per-VM Linux bridges (the seed's qbr-<vm>). */
export function resolve(t: Topology): { bridges: ResolvedBridge[] } {
    const hosts = new Map(t.hosts.map((h) => [h.name, h]));
    const bridges = t.vms.map((vm) => {
        const h = hosts.get(vm.host)!;
        return {
            resourceName: `${vm.host}-qbr-${vm.id}`,
            host: h.name,
            connection: { host: h.address, port: h.port, user: h.user },
            name: `qbr-${vm.id}`,
        };
    });
    return { bridges };
}
