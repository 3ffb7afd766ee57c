import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMissingDevice, runPlan } from "../../../provider/core/hostops";
import { CommandError, Executor } from "../../../provider/ssh/executor";
import { shellJoin } from "../../../provider/ssh/quote";

// runPlan sends a plan of several commands as one script (one SSH round trip): an executor that
// runs each command line with the local sh, as sshd's login shell would, and records the calls.
function localExecutor(): Executor & { calls: string[] } {
    const calls: string[] = [];
    return {
        calls,
        async run(_c, argv) {
            calls.push(shellJoin(argv));
            const r = spawnSync("sh", ["-c", shellJoin(argv)], { encoding: "utf8" });
            return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 255 };
        },
    } as Executor & { calls: string[] };
}
const c = { host: "h", port: 22, user: "root", keyRef: "sshPrivateKey" };

describe("runPlan", () => {
    it("runs a plan of several commands in one round trip, in order, arguments literal", async () => {
        const ex = localExecutor();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-runplan-"));
        const f = path.join(dir, "out");
        const hostile = "a b;$(touch x)'`\"\n";
        await runPlan(ex, c, [
            ["sh", "-c", 'printf "%s|" "$1" >>"$2"', "sh", "one", f],
            ["sh", "-c", 'printf "%s|" "$1" >>"$2"', "sh", hostile, f],
            ["sh", "-c", 'printf "%s" "$1" >>"$2"', "sh", "three", f],
        ]);
        assert.equal(ex.calls.length, 1);
        assert.equal(fs.readFileSync(f, "utf8"), `one|${hostile}|three`);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("stops at the first failure and names that command, its exit code and stderr", async () => {
        const ex = localExecutor();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-runplan-"));
        const never = path.join(dir, "never");
        const failing = ["sh", "-c", "echo partial; echo bad thing >&2; exit 3"];
        await assert.rejects(runPlan(ex, c, [["true"], failing, ["touch", never]]), (e: any) => {
            assert.ok(e instanceof CommandError);
            assert.deepEqual(e.argv, failing);
            assert.equal(e.result.code, 3);
            assert.match(e.result.stderr, /bad thing/);
            assert.doesNotMatch(e.result.stdout, /@@dvrlab-step/);
            assert.match(e.message, /exit 3\): sh -c 'echo partial; echo bad thing >&2; exit 3'/);
            return true;
        });
        assert.equal(fs.existsSync(never), false);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps isMissingDevice working for a command inside a plan", async () => {
        await assert.rejects(runPlan(localExecutor(), c, [["ip", "link", "show", "dev", "dvrl-nosuchdev"], ["true"]]), (e: any) => isMissingDevice(e));
    });

    it("runs a single command as itself", async () => {
        const ex = localExecutor();
        await runPlan(ex, c, [["true"]]);
        assert.deepEqual(ex.calls, ["true"]);
        await runPlan(ex, c, []);
        assert.equal(ex.calls.length, 1);
    });
});
