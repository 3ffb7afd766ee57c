// The guest image from TypeScript: run lab/guest/build.sh (cached, so cheap when nothing changed)
// and read its manifest.
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { z } from "zod";

export const GUEST_BUILD_SCRIPT = path.join(__dirname, "build.sh");

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

/**
 * Builds the guest if its inputs changed (downloads the kernel and busybox packages with apt the
 * first time, ~15 s), else returns the cached one (~30 ms). `cacheDir` defaults to build.sh's
 * ${DVRLAB_CACHE:-$HOME/.cache/dvrlab}.
 */
export async function buildGuestImage(
    opts: { cacheDir?: string; force?: boolean } = {},
): Promise<{ manifestPath: string; manifest: GuestManifest }> {
    const env = { ...process.env, ...(opts.cacheDir ? { DVRLAB_CACHE: opts.cacheDir } : {}) };
    let stdout: string;
    try {
        ({ stdout } = await promisify(execFile)("bash", [GUEST_BUILD_SCRIPT, ...(opts.force ? ["--force"] : [])], {
            env,
            maxBuffer: 16 << 20,
        }));
    } catch (e) {
        const err = e as { code?: number; stderr?: string };
        throw new Error(`${GUEST_BUILD_SCRIPT} failed (exit ${err.code}): ${err.stderr ?? ""}`);
    }
    const manifestPath = stdout.trim();
    return { manifestPath, manifest: readGuestManifest(manifestPath) };
}
