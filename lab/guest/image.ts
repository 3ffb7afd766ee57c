// The guest image from TypeScript: run lab/guest/build.sh (cached, so cheap when nothing changed)
// and read its manifest.
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { guestManifestSchema, GuestManifest, readGuestManifest } from "../../provider/guest/manifest";

export const GUEST_BUILD_SCRIPT = path.join(__dirname, "build.sh");

export { guestManifestSchema, readGuestManifest };
export type { GuestManifest };

/**
 * Builds the guest if its inputs changed (downloads the kernel and busybox packages with apt the
 * first time, ~15 s), else returns the cached one (~30 ms). `cacheDir` defaults to build.sh's
 * ${DVRLAB_CACHE:-$HOME/.cache/dvrlab}.
 */
export async function buildGuestImage(opts: { cacheDir?: string; force?: boolean } = {}): Promise<{ manifestPath: string; manifest: GuestManifest }> {
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
