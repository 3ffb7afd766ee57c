import { createHmac } from "crypto";

export interface KnownHost {
    patterns: string[]; // plain host patterns, or one "|1|salt|hash" entry
    keyType: string;
    key: string; // base64 blob
}

/** Parses OpenSSH known_hosts text (plain and hashed host names; markers are refused). */
export function parseKnownHosts(text: string): KnownHost[] {
    const out: KnownHost[] = [];
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const parts = line.split(/\s+/);
        if (parts[0].startsWith("@")) continue; // @cert-authority / @revoked: not supported, never trusted
        if (parts.length < 3) continue;
        out.push({ patterns: parts[0].split(","), keyType: parts[1], key: parts[2] });
    }
    return out;
}

function hostToken(host: string, port: number): string {
    return port === 22 ? host : `[${host}]:${port}`;
}

function matches(pattern: string, token: string): boolean {
    if (pattern.startsWith("|1|")) {
        const [, , salt, hash] = pattern.split("|");
        if (!salt || !hash) return false;
        const h = createHmac("sha1", Buffer.from(salt, "base64")).update(token).digest("base64");
        return h === hash;
    }
    return pattern === token;
}

/** Keys pinned for host:port. */
export function keysFor(entries: KnownHost[], host: string, port: number): KnownHost[] {
    const token = hostToken(host, port);
    return entries.filter((e) => e.patterns.some((p) => matches(p, token)));
}

/**
 * Decides about a presented host key (the raw blob ssh2 hands us): accepted only if it equals a pinned
 * key for that host. Returns an error message otherwise, naming host and fingerprint.
 */
export function verifyHostKey(entries: KnownHost[], host: string, port: number, blob: Buffer): string | undefined {
    const pinned = keysFor(entries, host, port);
    const presented = blob.toString("base64");
    const fp = "SHA256:" + require("crypto").createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    if (pinned.length === 0) {
        return `host key of ${hostToken(host, port)} is unknown (${fp}); add it to the known hosts setting (dvrlab:knownHosts / dvrlab:knownHostsFile)`;
    }
    if (!pinned.some((k) => k.key === presented)) {
        return `host key of ${hostToken(host, port)} CHANGED: presented ${fp} does not match the pinned key; refusing to connect`;
    }
    return undefined;
}
