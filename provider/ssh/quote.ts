import { quote } from "shell-quote";

/** An argv whose every element is passed literally to the remote program. */
export type Argv = readonly string[];

/**
 * sshd hands the command line to the login shell, so argv must be quoted; shell-quote is the one
 * quoting helper. NUL cannot be carried by any shell, so it is refused rather than truncated.
 */
export function shellJoin(argv: Argv): string {
    if (argv.length === 0) throw new Error("empty command");
    for (const a of argv) {
        if (typeof a !== "string") throw new Error(`command argument is not a string: ${String(a)}`);
        if (a.includes("\0")) throw new Error("command argument contains a NUL byte");
    }
    return quote(argv as string[]);
}
