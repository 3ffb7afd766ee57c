// Per-host DVR MACs. Neutron's server allocates each host's from `dvr_base_mac` (default
// fa:16:3f:00:00:00): the first three octets are kept, the fourth too when it is not 00, the rest
// chosen at random and stored. dvrlab has no database: it derives them, the same on every run.
import { createHash } from "crypto";

/** Neutron's default dvr_base_mac. */
export const DVR_BASE_MAC = "fa:16:3f:00:00:00";

function parseBase(base: string): { fixed: number[]; free: number } {
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(base)) throw new Error(`dvrMac: base ${JSON.stringify(base)} is not a MAC like fa:16:3f:00:00:00`);
    const o = base.split(":").map((x) => parseInt(x, 16));
    if (o[0] & 1) throw new Error(`dvrMac: base ${base} is a multicast address (lowest bit of the first octet set)`);
    const fixed = o.slice(0, o[3] !== 0 ? 4 : 3);
    return { fixed, free: 6 - fixed.length };
}

const fmt = (octets: number[]) => octets.map((x) => x.toString(16).padStart(2, "0")).join(":");

/**
 * The DVR MAC of one host: Neutron's fixed octets of `base`, then
 * - for a host index n (0, 1, 2, … in topology order): n + 1 in the free octets
 *   (fa:16:3f:00:00:01 for host 0; unique by construction, up to 2^24 - 1 hosts, or 2^16 - 1 when
 *   the base fixes four octets);
 * - for a host name: the first free octets of its SHA-256 (stable when hosts are added or
 *   reordered; unique only with high probability — dvrMacs checks a whole set).
 */
export function dvrMac(base: string, host: number | string): string {
    const { fixed, free } = parseBase(base);
    if (typeof host === "number") {
        const max = 2 ** (8 * free) - 1;
        if (!Number.isInteger(host) || host < 0 || host + 1 > max) throw new Error(`dvrMac: host index ${host} is not an integer in 0..${max - 1}`);
        const n = host + 1;
        return fmt([...fixed, ...Array.from({ length: free }, (_, i) => Math.floor(n / 256 ** (free - 1 - i)) % 256)]);
    }
    if (!host) throw new Error("dvrMac: empty host name");
    return fmt([...fixed, ...createHash("sha256").update(host).digest().subarray(0, free)]);
}

/** Every host's DVR MAC by name (derived from the name), refusing a collision instead of routing wrong. */
export function dvrMacs(base: string, hosts: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    const seen = new Map<string, string>();
    for (const h of hosts) {
        const m = dvrMac(base, h);
        const other = seen.get(m);
        if (other !== undefined && other !== h) throw new Error(`dvrMacs: hosts ${other} and ${h} both derive ${m}; use host indexes or another base`);
        seen.set(m, h);
        out[h] = m;
    }
    return out;
}
