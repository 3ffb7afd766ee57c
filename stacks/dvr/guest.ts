// The guest image the stack boots: a manifest of lab/guest/build.sh (kernel, initrd, base disk).
import { execFileSync } from "child_process";
import * as path from "path";
import { projectDir } from "../../provider/core/config";
import { GUEST_BUILD_SCRIPT, readGuestManifest, GuestManifest } from "../../lab/guest/image";

/** The given manifest, or the lab guest's (build.sh is cached: ~30 ms when nothing changed). */
export function loadGuestManifest(manifestPath?: string): GuestManifest {
    if (manifestPath) return readGuestManifest(path.resolve(projectDir(), manifestPath));
    const out = execFileSync("bash", [GUEST_BUILD_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return readGuestManifest(out.trim());
}
