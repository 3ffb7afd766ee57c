// The guest image a LibvirtDomain boots, as a manifest.json describes it (lab/guest/build.sh writes
// one; a real deployment may bring its own). Product code: the lab only builds one.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";

const absolute = z.string().refine((p) => path.isAbsolute(p), "must be an absolute path");

export const guestManifestSchema = z.object({
    /** Hash of the build inputs; names the cache directory. */
    version: z.string().regex(/^[0-9a-f]{16}$/),
    /** Kernel to boot (libvirt <kernel>): the uncompressed PVH ELF when the kernel allows it. */
    kernel: absolute,
    /** Debian's bzImage: boots everywhere, ~3 s slower under TCG, ~45 MiB less qemu RSS. */
    kernelCompressed: absolute,
    initrd: absolute,
    /** Read-only base for each domain's overlay: qemu-img create -f qcow2 -F qcow2 -b baseImage. */
    baseImage: absolute,
    baseImageFormat: z.literal("qcow2"),
    /** Kernel command line (libvirt <cmdline>); root=/dev/vda is the overlay on virtio. */
    cmdline: z.string(),
    minMemoryMiB: z.number().int().positive(),
    kernelRelease: z.string(),
    /** Serial port of the console (ttyS0) and of the command channel's agent (ttyS1). */
    consoleSerialPort: z.literal(0),
    agentSerialPort: z.literal(1),
    agentProtocol: z.literal("DVRLAB1"),
    /** The guest's only NIC, configured by DHCP (address, MTU from option 26, route). */
    interface: z.string(),
    debs: z.array(z.string()),
});
export type GuestManifest = z.infer<typeof guestManifestSchema>;

export function readGuestManifest(manifestPath: string): GuestManifest {
    return guestManifestSchema.parse(JSON.parse(fs.readFileSync(manifestPath, "utf8")));
}
