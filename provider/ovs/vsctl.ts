// ovs-vsctl helpers: building `set` arguments safely and reading `--format=json` tables.
import { z } from "zod";

/** external_ids keys/values we accept: plain tokens, so no OVSDB or shell quoting surprises. */
export const externalIds = z.record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "external_ids keys: letters, digits, '_', '.', '-'"),
    z.string().regex(/^[A-Za-z0-9_.:/@+=-]{0,255}$/, "external_ids values: letters, digits and _.:/@+=-"),
);

export const OWNER_KEY = "dvrlab-owner";

/** On an OVS object dvrlab adopted (not created): destroy then removes only dvrlab's marks. */
export const ADOPTED_KEY = "dvrlab-adopted";

/** An OVSDB string literal (ovs-vsctl parses double-quoted C-like strings). */
export function ovsString(s: string): string {
    return JSON.stringify(s);
}

/** `column:key=value` arguments for a map column. */
export function mapArgs(column: string, m: Record<string, string | number | undefined>): string[] {
    return Object.entries(m)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${column}:${k}=${ovsString(String(v))}`);
}

/** Decodes one OVSDB JSON datum (as printed by `ovs-vsctl --format=json`). */
export function datum(v: any): any {
    if (Array.isArray(v)) {
        const [tag, val] = v;
        if (tag === "set") return (val as any[]).map(datum);
        if (tag === "map") return Object.fromEntries((val as any[]).map(([k, x]) => [datum(k), datum(x)]));
        if (tag === "uuid" || tag === "named-uuid") return val;
    }
    return v;
}

/** Rows of `ovs-vsctl --format=json --columns=a,b find|list TABLE …` as objects. */
export function rows(json: string): Record<string, any>[] {
    if (!json.trim()) return [];
    const t = JSON.parse(json);
    return (t.data as any[][]).map((r) => Object.fromEntries((t.headings as string[]).map((h, i) => [h, datum(r[i])])));
}

/** An optional scalar column reads as [] (empty set) when unset. */
export function optional<T>(v: any): T | undefined {
    return Array.isArray(v) && v.length === 0 ? undefined : (v as T);
}

export function vsctl(...args: string[]): string[] {
    // --timeout keeps a wedged ovsdb from hanging a deployment.
    return ["ovs-vsctl", "--timeout=10", ...args];
}
