// The registry of verify checks. Adding one: a file in this folder exporting `defineCheck({…})`
// (what it needs from the stack outputs, how it plans and runs, what it prints), and its line below.
// The order here is the plan order (`verify --list`, and within a phase the run order).
import type { StackOutputs } from "../plan";
import type { CheckKind, Planned } from "./check";
import { arpSpoof } from "./arpSpoof";
import { dhcp } from "./dhcp";
import { gatewayMacLocal } from "./gatewayMacLocal";
import { ipSpoof } from "./ipSpoof";
import { noGatewayArp } from "./noGatewayArp";
import { ping } from "./ping";
import { routedOnSource } from "./routedOnSource";
import { sameHostLocal } from "./sameHostLocal";

export const CHECKS = [dhcp, ping, routedOnSource, noGatewayArp, sameHostLocal, gatewayMacLocal, arpSpoof, ipSpoof] as const;

/** Any planned check of a registered kind. */
export type Check = ReturnType<(typeof CHECKS)[number]["plan"]>[number];

export function checkKind(kind: string): CheckKind<any> {
    const k = CHECKS.find((c) => c.kind === kind);
    if (!k) throw new Error(`unknown check kind ${kind}`);
    return k as CheckKind<any>;
}

/** Every check for these outputs, in registry order; a kind whose needed outputs are absent plans none. */
export function planChecks(o: StackOutputs): Check[] {
    return CHECKS.flatMap((k) => (k.needs.every((n) => o[n] !== undefined) ? (k as CheckKind<any>).plan(o) : []));
}

/**
 * `--only` patterns: regular expressions (case-insensitive), each matched against a check's kind
 * and its name; a check runs when any pattern matches. No pattern: every check.
 */
export function onlyMatcher(patterns: readonly string[]): (c: Planned) => boolean {
    if (!patterns.length) return () => true;
    const res = patterns.map((p) => {
        try {
            return new RegExp(p, "i");
        } catch (e: any) {
            throw new Error(`--only ${JSON.stringify(p)} is not a regular expression: ${e.message}`);
        }
    });
    return (c) => res.some((r) => r.test(c.kind) || r.test(c.name));
}

export function selectChecks(o: StackOutputs, only: readonly string[] = []): Check[] {
    const match = onlyMatcher(only);
    return planChecks(o).filter(match);
}

/** Checks in the order phases run them (stable: plan order inside a phase). */
export function inRunOrder<C extends Planned>(checks: readonly C[]): C[] {
    const phase = (c: C) => checkKind(c.kind).phase;
    return checks
        .map((c, i) => ({ c, i }))
        .sort((a, b) => phase(a.c) - phase(b.c) || a.i - b.i)
        .map((x) => x.c);
}

/**
 * `verify --list`: the registered kinds (what each shows and reads), then, given the stack's
 * outputs, the checks that would run, in run order.
 */
export function listText(o?: StackOutputs, only: readonly string[] = []): string {
    const match = onlyMatcher(only);
    const w = Math.max(...CHECKS.map((k) => k.kind.length));
    const lines = [`${CHECKS.length} check kinds:`];
    for (const k of CHECKS) lines.push(`  ${k.kind.padEnd(w)}  ${k.title}`, `  ${"".padEnd(w)}  needs: ${k.needs.join(", ")}`);
    if (o) {
        const checks = inRunOrder(selectChecks(o, only));
        lines.push(
            "",
            `${checks.length} checks on this stack${only.length ? ` matching ${only.map((p) => JSON.stringify(p)).join(" or ")}` : ""}, in run order:`,
        );
        for (const c of checks) lines.push(`  ${c.kind.padEnd(w)}  ${c.name}`);
    } else if (only.length) {
        lines.push(
            "",
            `kinds matching ${only.map((p) => JSON.stringify(p)).join(" or ")}: ${
                CHECKS.filter((k) => match({ kind: k.kind, name: "" }))
                    .map((k) => k.kind)
                    .join(", ") || "none"
            }`,
        );
    }
    lines.push("", "run some with --only PATTERN (a regular expression matched against kind and name, case-insensitive; repeatable)");
    return lines.join("\n");
}
