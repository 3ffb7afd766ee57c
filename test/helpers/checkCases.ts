// Table-driven check tests: each bad patch of a good input must fail naming its property.
import { strict as assert } from "assert";

export type BadCase = [field: string, patch: Record<string, unknown>, reason: string];

/** One mocha test per case: `provider.check` of `{...good, ...patch}` fails on `field` with a reason containing `reason`. */
export function refusesEach(provider: () => { check(olds: any, news: any): Promise<any> }, good: Record<string, unknown>, bad: BadCase[]): void {
    for (const [field, patch, reason] of bad) {
        it(`refuses bad ${field} (${JSON.stringify(patch)}) naming the field`, async () => {
            const r = await provider().check({}, { ...good, ...patch });
            assert.ok(r.failures?.length, "expected failures");
            assert.ok(
                r.failures!.some((f: any) => f.property === field && f.reason.includes(reason)),
                JSON.stringify(r.failures),
            );
        });
    }
}
