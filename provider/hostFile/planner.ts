import * as path from "path";
import { Argv } from "../ssh/quote";

/** What the host has at the path, in input form. */
export interface HostFileState {
    sha256: string;
    mode: string;
}

/** Permission bits (octal, no leading zeros) and type; a missing path exits 1 with "No such file". */
export const planStat = (p: string): Argv => ["stat", "-c", "%a %F", "--", p];
export const planHash = (p: string): Argv => ["sha256sum", "--", p];

/** Parses `stat -c '%a %F'`; anything but a regular file is refused by the caller. */
export function parseStat(out: string): { mode: string; regular: boolean; type: string } {
    const m = /^([0-7]+) (.+)$/.exec(out.trim());
    if (!m) throw new Error(`unexpected stat output: ${JSON.stringify(out)}`);
    return { mode: m[1].padStart(4, "0"), regular: m[2] === "regular file" || m[2] === "regular empty file", type: m[2] };
}

/** Parses `sha256sum -- p`: "<64 hex>  <path>". */
export function parseHash(out: string): string {
    const m = /^([0-9a-f]{64})\s/.exec(out);
    if (!m) throw new Error(`unexpected sha256sum output: ${JSON.stringify(out)}`);
    return m[1];
}

/** The temporary name an upload writes before the atomic rename: same directory, so same filesystem. */
export function tmpPathFor(p: string, random: string): string {
    if (!/^[A-Za-z0-9]+$/.test(random)) throw new Error(`bad random suffix ${random}`);
    return `${p}.tmp.${random}`;
}

/** The upload: parent directory, content on stdin to the temp file, then check, chmod and rename. */
export const planMkdirParent = (p: string): Argv => ["mkdir", "-p", "--", path.posix.dirname(p)];
/** dd writes stdin to a file without a shell redirect; partial pipe reads are written as read. */
export const planWriteStdin = (tmp: string): Argv => ["dd", `of=${tmp}`, "bs=1M", "status=none"];
export const planChmod = (p: string, mode: string): Argv => ["chmod", mode, "--", p];
/** -T: never move into a directory that happens to have the target's name. */
export const planRename = (tmp: string, p: string): Argv => ["mv", "-f", "-T", "--", tmp, p];
export const planRemove = (p: string): Argv => ["rm", "-f", "--", p];
/** Removes the temp files of cut-off uploads of `p` (a dropped connection or a killed provider cannot remove its own). */
export const planRemoveStaleTmp = (p: string): Argv => ["sh", "-c", 'rm -f -- "$1".tmp.*', "sh", p];

/** dvrlab's own state directory: parents below it that a delete leaves empty are ours to remove. */
export const STATE_DIR = "/var/lib/dvrlab";

/** Removes the now-empty parent directories of `p` strictly below STATE_DIR (never a directory with anything left in it, never outside). */
export const planRemoveEmptyParents = (p: string): Argv => [
    "sh",
    "-c",
    'd=$(dirname -- "$1"); while [ "${d#"$2"/}" != "$d" ]; do rmdir -- "$d" 2>/dev/null || break; d=$(dirname -- "$d"); done',
    "sh",
    p,
    STATE_DIR,
];
