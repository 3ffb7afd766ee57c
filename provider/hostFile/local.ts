import { createHash } from "crypto";
import * as fs from "fs";

/**
 * The sha256 (hex) of a local file, for HostFile's `sha256` input:
 * `new HostFile(name, { connection, path, source, sha256: fileSha256(source) })`.
 * Synchronous on purpose: the program needs a plain string at construction, and a 60 MB image
 * hashes in a fraction of a second. Read in chunks so memory stays flat.
 */
export function fileSha256(localPath: string): string {
    const h = createHash("sha256");
    const fd = fs.openSync(localPath, "r");
    try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
            const n = fs.readSync(fd, buf, 0, buf.length, null);
            if (n === 0) break;
            h.update(buf.subarray(0, n));
        }
    } finally {
        fs.closeSync(fd);
    }
    return h.digest("hex");
}
