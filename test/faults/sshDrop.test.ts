// Fault: one host's SSH dies in the middle of `up` (its sshd, listener and sessions, killed inside
// the host). The up fails naming that host; the host comes back (lab.sh up restarts dead daemons);
// the next up converges from the half-built state without "already exists", verify passes, a
// preview shows no changes, destroy leaves zero objects.
import { strict as assert } from "assert";
import { credentialsFor } from "../../provider/core/config";
import { ConnectError, SshPool } from "../../provider/ssh/executor";
import { requireLab, waitFor } from "../helpers/lab";
import { alreadyExists, Background, DvrStack, FAULT_ID, FaultLab, smallTopology } from "./faultLab";

describe("fault: a host's SSH dies in the middle of up", function () {
    this.timeout(900_000);
    const lab = new FaultLab();
    let s: DvrStack | undefined;
    let bg: Background | undefined;
    const HOST = "server-64";

    before(function () {
        requireLab(this);
        lab.up();
        s = new DvrStack(lab, "fssh", smallTopology(lab, `f${FAULT_ID}s-`));
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

    it("a command cut off by the dying connection is an error naming the host, not an exit code", async () => {
        const pool = new SshPool((c) => credentialsFor(c));
        const conn = { host: lab.ip(HOST), port: 22, user: "root" };
        try {
            // a probe whose "no" is exit 1: a lost connection must not read as an answer
            const cut = pool.run(conn, ["sh", "-c", "sleep 20; test -d /nonexistent"]);
            await new Promise((res) => setTimeout(res, 1000));
            assert.ok(lab.kill(HOST, "sshd") >= 2);
            await assert.rejects(
                cut,
                (e: any) =>
                    e instanceof ConnectError && e.message.includes(`root@${conn.host}:22`) && /connection lost before the command finished/.test(e.message),
            );
        } finally {
            pool.close();
            lab.lab("up"); // sshd back
        }
    });

    it("up fails naming the host whose sshd died half-way", async () => {
        assert.equal(lab.leftovers(), "", "the lab starts bare");
        const t0 = Date.now();
        bg = s!.background(["up", "--yes", "--skip-preview"]);
        // mid-upload (the guest image's dd runs on the host: a partial temp file exists), with some of
        // the host's objects made and most still to come (patch ports, tunnels, flows, the VM's port and domain)
        await waitFor("an upload (dd) running on the host", 300_000, () => lab.pids(HOST, "dd").length > 0 || bg!.child.exitCode !== null || undefined, 10);
        assert.ok(lab.pids(HOST, "dd").length > 0, `no upload seen on ${HOST} before up ended:\n${bg.out}`);
        const killed = lab.kill(HOST, "sshd");
        assert.ok(killed >= 2, `the listener and the provider's session were killed (${killed} sshd processes)`);
        const r = await bg.done;
        s!.numbers["up with the host's sshd killed"] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        assert.notEqual(r.code, 0, `up must fail:\n${r.out}`);
        const addr = lab.ip(HOST);
        const errors = r.out.split("\n").filter((l) => /error/i.test(l));
        assert.ok(
            errors.some((l) => l.includes(addr)),
            `an error names ${addr}:\n${errors.join("\n")}`,
        );
        const distinct = [...new Set(errors.map((l) => l.replace(/^.*?error: /, "").slice(0, 240)))];
        console.log(`      errors (distinct):\n${distinct.map((l) => `        ${l}`).join("\n")}`);
        assert.match(
            r.out,
            new RegExp(`cannot connect to root@${addr.replace(/\./g, "\\.")}:22|connection to root@${addr.replace(/\./g, "\\.")}:22 (was )?lost`),
            "the error says the connection is the problem",
        );
        // no error names the other host: its part of the stack went on
        assert.ok(!errors.some((l) => l.includes(lab.ip("server-233"))), `server-233 is fine:\n${errors.join("\n")}`);
        assert.doesNotMatch(r.out, /\(exit 255\)/, "no cut-off command reported as an exit status");
        assert.match(r.out, /connection lost before the command finished \(no exit status\) \(while running: dd /, "the cut-off upload says so");
        assert.ok(
            !/pending/i.test(
                r.out
                    .split("\n")
                    .filter((l) => /warning/i.test(l))
                    .join("\n"),
            ),
            "a failed up leaves no pending operations",
        );
        // the cut-off upload's partial temp file stays: nobody could remove it over the dead connection
        assert.match(lab.sh(HOST, 'find /var/lib/dvrlab/images -name "*.tmp.*"'), /\.tmp\./);
    });

    it("the host returns: up converges without 'already exists', verify passes, no changes left", async () => {
        lab.lab("up"); // restarts the dead sshd
        const r = s!.run("up after the host returned", ["up", "--yes", "--skip-preview"]);
        assert.deepEqual(alreadyExists(r.stdout + r.stderr), []);
        assert.equal(lab.sh(HOST, 'find /var/lib/dvrlab/images -name "*.tmp.*"'), "", "the upload that completed removed the cut-off one's temp file");
        await s!.verifyAll("verify");
        s!.run("no-op preview", ["preview", "--expect-no-changes"]);
    });

    it("destroy leaves zero objects", () => {
        s!.run("destroy", ["destroy", "--yes", "--skip-preview"]);
        assert.equal(lab.leftovers(), "");
    });
});
