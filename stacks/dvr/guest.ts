// The guest image the dev stack boots: the given manifest, or the lab guest's (lab/guest/build.sh).
import { execFileSync } from "child_process";
import * as path from "path";
import { projectDir } from "../../provider/core/config";
import { GuestManifest, readGuestManifest } from "../../provider/guest/manifest";
import { GUEST_BUILD_SCRIPT } from "../../lab/guest/image";

/** build.sh is cached: ~30 ms when nothing changed. */
export function loadGuestManifest(manifestPath?: string): GuestManifest {
    if (manifestPath) return readGuestManifest(path.resolve(projectDir(), manifestPath));
    const out = execFileSync("bash", [GUEST_BUILD_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return readGuestManifest(out.trim());
}
