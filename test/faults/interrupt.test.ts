// Fault: `up` interrupted half-way, three ways, each from an empty stack, each followed by what the
// user has to do and then a converged `up` with no "already exists" (dvrlab's creates adopt what an
// interrupted create left on a host):
//  1. Ctrl-C in a terminal (SIGINT to the whole process group: the CLI, the language host and the
//     dynamic provider, which Node ends at once): "update canceled", no pending operation, no lock.
//     The user only runs `up` again.
//  2. Two SIGINTs to the CLI alone (`kill -INT` twice, e.g. a CI runner's cancel): "terminating";
//     the creates in flight stay as pending operations in the state. The next `up` warns and
//     creates them again (adopting what they made) and converges, but does not clear the records:
//     the user runs `pulumi refresh --clear-pending-creates --yes` once to drop them.
//  3. SIGKILL of the CLI (machine crash, OOM): the file backend's lock stays. `up` refuses and names
//     `pulumi cancel`; after `pulumi cancel --yes` it is case 2.
import { strict as assert } from "assert";
import { requireLab } from "../helpers/lab";
import { alreadyExists, Background, DvrStack, FAULT_ID, FaultLab, smallTopology } from "./faultLab";

describe("fault: up interrupted half-way (Ctrl-C, SIGINT twice, SIGKILL)", function () {
    this.timeout(900_000);
    const lab = new FaultLab();
    let s: DvrStack | undefined;
    let bg: Background | undefined;

    before(function () {
        requireLab(this);
        lab.up();
        s = new DvrStack(lab, "fint", smallTopology(lab, `f${FAULT_ID}i-`));
    });

    after(function () {
        bg?.reap();
        try {
            s?.cleanup();
        } finally {
            lab.down();
            if (s) console.log(`      numbers: ${JSON.stringify(s.numbers)}`);
        }
    });

    const created = (out: string) => (out.match(/ created \(/g) ?? []).length;
    const pending = () => (s!.stack.exportState().deployment.pending_operations ?? []) as { resource: { urn: string }; type: string }[];
    const groupAlive = (b: Background) => {
        try {
            process.kill(-b.child.pid!, 0);
            return true;
        } catch {
            return false;
        }
    };

    /** Starts a cold up and interrupts it once ~25 resources are created; returns the run's result. */
    async function interruptedUp(what: string, interrupt: (b: Background) => Promise<void>) {
        assert.equal(lab.leftovers(), "", "the lab starts bare");
        const t0 = Date.now();
        bg = s!.background(["up", "--yes", "--skip-preview"]);
        await bg.waitFor((out) => created(out) >= 25, 300_000);
        await interrupt(bg);
        const r = await bg.done;
        s!.numbers[`${what}: interrupted up`] = `${((Date.now() - t0) / 1000).toFixed(1)} s, ${created(r.out)} created`;
        assert.notEqual(r.code, 0, `an interrupted up fails:\n${r.out}`);
        assert.doesNotMatch(r.out, /Resources:\s+\+ \d+ created\s+Duration/, "it did not run to the end");
        // no process of the run (CLI, language host, provider) outlives it and keeps changing hosts
        for (let i = 0; i < 50 && groupAlive(bg); i++) await new Promise((res) => setTimeout(res, 200));
        assert.ok(!groupAlive(bg), "no process of the interrupted run is left");
        return r;
    }

    /** The next up: converges, nothing "already exists", every resource once in the state, nothing left to change. */
    function recover(what: string): string {
        const r = s!.run(`${what}: next up`, ["up", "--yes", "--skip-preview"]);
        const out = r.stdout + r.stderr;
        assert.deepEqual(alreadyExists(out), []);
        assert.match(out, /Resources:\s+\+ \d+ created/, "the rest was created");
        const urns = (s!.stack.exportState().deployment.resources as { urn: string }[]).map((x) => x.urn);
        assert.equal(new Set(urns).size, urns.length, "each resource once in the state");
        return out;
    }

    function destroyClean(what: string): void {
        s!.run(`${what}: destroy`, ["destroy", "--yes", "--skip-preview"]);
        assert.equal(lab.leftovers(), "");
    }

    it("Ctrl-C (SIGINT to the process group): canceled, no pending operation, no lock; up again converges and verify passes", async () => {
        const r = await interruptedUp("ctrl-c", async (b) => b.signalGroup("SIGINT"));
        assert.match(r.out, /\^C received; cancelling/);
        assert.deepEqual(pending(), []);
        recover("ctrl-c");
        s!.stack.run(["preview", "--expect-no-changes"]);
        await s!.verifyAll("ctrl-c: verify");
        destroyClean("ctrl-c");
    });

    it("SIGINT twice to the CLI (terminate): pending creates stay; up re-creates them without 'already exists'; refresh --clear-pending-creates drops the records", async () => {
        const r = await interruptedUp("sigint x2", async (b) => {
            b.child.kill("SIGINT");
            // the second as soon as the first is acknowledged: a fixed pause lost the race when the
            // cancellation (waiting only for in-flight creates) finished first
            await b.waitFor((out) => /\^C received; cancelling/.test(out), 30_000);
            b.child.kill("SIGINT");
        });
        assert.match(r.out, /\^C received; terminating/);
        const left = pending();
        assert.ok(
            left.length >= 1 && left.every((p) => p.type === "creating"),
            `pending creates: ${JSON.stringify(left.map((p) => [p.type, p.resource.urn]))}`,
        );
        s!.numbers["sigint x2: pending creates"] = String(left.length);
        const out = recover("sigint x2");
        assert.match(out, new RegExp(`Attempting to deploy or update resources with ${left.length} pending operations`));
        // Pulumi keeps the records after a successful up (they would warn forever); this is what the user runs:
        assert.equal(pending().length, left.length, "up does not clear pending records (Pulumi 3.248)");
        s!.run("sigint x2: refresh --clear-pending-creates", ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        assert.deepEqual(pending(), []);
        s!.stack.run(["preview", "--expect-no-changes"]);
        destroyClean("sigint x2");
    });

    it("SIGKILL of the CLI: the stack stays locked; up names `pulumi cancel`; after it, up converges and verify passes", async () => {
        await interruptedUp("sigkill", async (b) => void b.child.kill("SIGKILL"));
        const locked = s!.stack.run(["up", "--yes", "--skip-preview"], { allowFail: true });
        assert.notEqual(locked.code, 0);
        assert.match(locked.stdout + locked.stderr, /currently locked[\s\S]*pulumi cancel/);
        s!.stack.run(["cancel", "--yes"]);
        const left = pending();
        s!.numbers["sigkill: pending creates"] = String(left.length);
        recover("sigkill");
        s!.run("sigkill: refresh --clear-pending-creates", ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        assert.deepEqual(pending(), []);
        s!.stack.run(["preview", "--expect-no-changes"]);
        await s!.verifyAll("sigkill: verify");
        destroyClean("sigkill");
    });
});
