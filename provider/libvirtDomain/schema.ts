import { z } from "zod";
import { connection, ifName, mac, owner } from "../core/schema";

/**
 * An absolute path on the host. Kept to a plain character set: paths end up in domain XML (the XML
 * library escapes them), in argv (quoted) and in libvirt's own command lines for qemu.
 */
export const hostPath = z
    .string()
    .max(4096)
    .regex(/^\/[A-Za-z0-9._+@=,:-]*(\/[A-Za-z0-9._+@=,:-]+)*$/, "an absolute path of letters, digits and ._+@=,:- only")
    .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), "no '.' or '..' path segments");

/** libvirt names: unique per host (per machine in the lab), used in file names too. */
export const domainName = z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/, "letters, digits and _.+- only, starting with a letter or digit");

/** A tap libvirt creates under the name we give; libvirt renames vnet*, macvtap* and macvlan* taps. */
const tapName = ifName.refine((s) => !/^(vnet|macvtap|macvlan)/.test(s), "libvirt reserves names starting with vnet, macvtap and macvlan");

export const interfaceSchema = z
    .object({
        /** A Linux bridge that must exist before the domain starts (the seed's qbr-<vm>). */
        bridge: ifName,
        /** The tap's name on the host (the seed's tap-<vm>). */
        tap: tapName,
        mac,
        model: z.enum(["virtio", "e1000", "rtl8139"]).default("virtio"),
    })
    .strict();

export const bootSchema = z
    .object({
        /** Direct kernel boot (libvirt <kernel>/<initrd>/<cmdline>): files on the host. */
        kernel: hostPath.optional(),
        initrd: hostPath.optional(),
        cmdline: z
            .string()
            .max(2048)
            .regex(/^[\x20-\x7e]*$/, "printable ASCII, one line")
            .optional(),
    })
    .strict()
    .refine((b) => b.kernel || (!b.initrd && b.cmdline === undefined), { message: "initrd and cmdline need a kernel", path: ["kernel"] });

export const diskSchema = z
    .object({
        /** The image every domain of this kind starts from; never written. */
        base: hostPath,
        baseFormat: z.enum(["qcow2", "raw"]).default("qcow2"),
        /**
         * overlay: `qemu-img create -f qcow2 -F <baseFormat> -b base` (copy on write, instant);
         * convert: the seed's `qemu-img convert -O qcow2 base` (a full, independent copy).
         */
        from: z.enum(["overlay", "convert"]).default("overlay"),
        /** Where this domain's own qcow2 goes; unset = /var/lib/libvirt/images/<name>.qcow2. */
        path: hostPath.optional(),
    })
    .strict();

export const libvirtDomainSchema = z
    .object({
        connection,
        owner,
        name: domainName,
        memoryMiB: z
            .number()
            .int()
            .min(16)
            .max(1 << 20),
        vcpus: z.number().int().min(1).max(64).default(1),
        /** kvm or qemu (TCG); unset = kvm when the host's libvirt offers it, else qemu. */
        domainType: z.enum(["kvm", "qemu"]).optional(),
        boot: bootSchema.default({}),
        disk: diskSchema.optional(),
        interfaces: z.array(interfaceSchema).max(8).default([]),
        /** The command channel (serial port 1) as a unix socket; unset = /var/lib/libvirt/qemu/<name>.agent.sock. */
        channelSocket: hostPath.optional(),
        /** Everything the console (serial port 0) prints; unset = /var/log/libvirt/qemu/<name>-console.log. */
        consoleLog: hostPath.optional(),
        /** false: defined but shut off. read reports a domain stopped by hand as false (drift). */
        running: z.boolean().default(true),
    })
    .superRefine((d, ctx) => {
        if (!d.boot.kernel && !d.disk) ctx.addIssue({ code: "custom", path: ["boot"], message: "nothing to boot: give boot.kernel or a disk" });
        const seen = new Map<string, number>();
        d.interfaces.forEach((n, i) => {
            for (const [k, v] of [
                ["tap", n.tap],
                ["mac", n.mac],
            ] as const) {
                const key = `${k}=${v}`;
                if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["interfaces", i, k], message: `same ${k} as interfaces[${seen.get(key)}]` });
                else seen.set(key, i);
            }
        });
        d.interfaces.forEach((n, i) => {
            if (parseInt(n.mac.slice(0, 2), 16) & 1)
                ctx.addIssue({ code: "custom", path: ["interfaces", i, "mac"], message: "a multicast MAC (odd first octet) cannot be a NIC's address" });
        });
        if (d.channelSocket && d.channelSocket.length > 107) {
            ctx.addIssue({ code: "custom", path: ["channelSocket"], message: "unix socket paths are at most 107 bytes" });
        }
    });

export type LibvirtDomainArgs = z.input<typeof libvirtDomainSchema>;
export type LibvirtDomainSpec = z.output<typeof libvirtDomainSchema>;

/** Paths the host decides from the name when the inputs leave them unset. */
export function pathsOf(d: Pick<LibvirtDomainSpec, "name" | "disk" | "channelSocket" | "consoleLog">) {
    return {
        disk: d.disk ? (d.disk.path ?? `/var/lib/libvirt/images/${d.name}.qcow2`) : undefined,
        channelSocket: d.channelSocket ?? `/var/lib/libvirt/qemu/${d.name}.agent.sock`,
        consoleLog: d.consoleLog ?? `/var/log/libvirt/qemu/${d.name}-console.log`,
    };
}

/** Host-computed: what libvirt made of the domain. */
export const libvirtDomainOutputs = z.object({
    domainType: z.enum(["kvm", "qemu"]),
    uuid: z.string(),
    /** The domain's disk, and whether this resource created it (then delete removes it). */
    diskPath: z.string().optional(),
    diskCreated: z.boolean(),
    /** The command channel's unix socket and the console log, on the host. */
    channelSocketPath: z.string(),
    consoleLogPath: z.string(),
    /** libvirt's word for the domain's state when last seen (running, shut off, paused …). */
    state: z.string(),
});
export type LibvirtDomainOutputs = z.output<typeof libvirtDomainOutputs>;
