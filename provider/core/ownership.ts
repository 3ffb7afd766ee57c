// Never take over what is not ours (issue 14): every kind that makes a named object on a host looks
// for it first and decides by its owner mark (docs/internals.md lists where each kind keeps it).

/** What create does with what it found under the object's name. */
export type Claim = "create" | "converge" | "adopt";

export interface Found {
    /** "OvsPort qvo-x on root@h:22": the kind, the object and the host. */
    where: string;
    exists: boolean;
    /** The owner mark found on it (undefined: none). */
    owner?: string;
    /** Our owner (dvrlab:<project>/<stack>). */
    want: string;
    /** Whether the config asks to adopt an unmarked one (kinds without adoption pass undefined). */
    adopt?: boolean;
    /** Where the mark would be, for the message (e.g. "external_ids:dvrlab-owner"). */
    mark: string;
    /** How to proceed, for the message (remove it, another name, or how to adopt it). */
    fix: string;
}

/**
 * Absent: create. Marked ours (a run whose state was lost, or interrupted): converge. Marked by
 * another stack: refused. Unmarked: adopted only when asked, else refused; the message names the
 * host, the object and the way out.
 */
export function claim(f: Found): Claim {
    if (!f.exists) return "create";
    if (f.owner === f.want) return "converge";
    if (f.owner) throw new Error(`${f.where}: exists and belongs to ${f.owner}`);
    if (f.adopt) return "adopt";
    throw new Error(`${f.where}: exists and dvrlab did not create it (no ${f.mark}); dvrlab does not take it over: ${f.fix}`);
}
