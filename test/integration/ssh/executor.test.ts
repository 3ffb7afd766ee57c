import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { check, CommandError, ConnectError, SshPool } from "../../../provider/ssh/executor";
import { connections, startSshd, TestSshd } from "../../helpers/sshd";

describe("SSH executor against a real sshd", function () {
    this.timeout(30_000);
    let sshd: TestSshd;
    let pool: SshPool;
    const conn = () => ({ host: sshd.host, port: sshd.port, user: "root" });

    before(async () => {
        sshd = await startSshd();
        pool = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: sshd.knownHosts }));
    });
    after(async () => {
        pool?.close();
        await sshd?.stop();
    });

    it("runs a command with the pinned host key and returns stdout, stderr and exit code", async () => {
        const r = await pool.run(conn(), ["sh", "-c", "echo out; echo err >&2; exit 3"]);
        assert.deepEqual(r, { stdout: "out\n", stderr: "err\n", code: 3 });
    });

    it("passes hostile arguments literally", async () => {
        const hostile = ["a b;rm -rf /", "$(x)", "`id`", "it's", 'q"uote', "new\nline", "*", "$HOME", "a\\b"];
        const out = await check(pool, conn(), ["printf", "%s\\0", ...hostile]);
        assert.deepEqual(out.split("\0").slice(0, -1), hostile);
    });

    it("feeds stdin and keeps output untrimmed", async () => {
        const r = await pool.run(conn(), ["cat"], { stdin: "  line 1\nline 2\n\n" });
        assert.equal(r.stdout, "  line 1\nline 2\n\n");
    });

    it("throws CommandError naming host, command and stderr on non-zero exit", async () => {
        await assert.rejects(check(pool, conn(), ["ls", "/definitely/not/here"]), (e: any) => {
            assert.ok(e instanceof CommandError);
            assert.match(e.message, /root@127\.0\.0\.1:\d+/);
            assert.match(e.message, /ls \/definitely\/not\/here/);
            assert.match(e.message, /No such file/);
            return true;
        });
    });

    it("runs the login shell without root's heavy .bashrc", async () => {
        const out = await check(pool, conn(), ["sh", "-c", "cat ~/.bashrc"]);
        assert.match(out, /dvrlab test host/);
    });

    it("times out a hung command with a clear error", async () => {
        const t0 = Date.now();
        await assert.rejects(pool.run(conn(), ["sleep", "30"], { timeoutMs: 1000 }), /timed out after 1000 ms/);
        assert.ok(Date.now() - t0 < 8000);
    });

    it("reuses one connection for many concurrent commands (more than sshd's MaxSessions)", async () => {
        const before = execFileSync("sh", ["-c", `ss -tn state established '( dport = :${sshd.port} )' | tail -n +2 | wc -l`], { encoding: "utf8" }).trim();
        const outs = await Promise.all(Array.from({ length: 30 }, (_, i) => check(pool, conn(), ["echo", String(i)])));
        assert.deepEqual(
            outs,
            Array.from({ length: 30 }, (_, i) => `${i}\n`),
        );
        const after = execFileSync("sh", ["-c", `ss -tn state established '( dport = :${sshd.port} )' | tail -n +2 | wc -l`], { encoding: "utf8" }).trim();
        assert.equal(after, before === "0" ? "1" : before);
    });

    it("re-dials after the connection drops", async () => {
        await check(pool, conn(), ["true"]);
        // Kill this sshd's session processes (children of the listener we started), not the listener.
        const killed = execFileSync("sh", ["-c", `pkill -e -P ${sshd.pid} || true`], { encoding: "utf8" });
        assert.match(killed, /killed/);
        // bounded poll until the sessions are gone (a live one would let the check pass without a re-dial)
        for (let i = 0; spawnSync("pgrep", ["-P", String(sshd.pid)]).status === 0; i++) {
            assert.ok(i < 100, "sshd sessions still alive after 5 s");
            await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(await check(pool, conn(), ["echo", "back"]), "back\n");
    });

    it("refuses a changed host key", async () => {
        const other = execFileSync("sh", ["-c", `d=$(mktemp -d); ssh-keygen -q -t ed25519 -N '' -f $d/k; cat $d/k.pub; rm -rf $d`], { encoding: "utf8" });
        const [type, blob] = other.trim().split(/\s+/);
        const p2 = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: `[127.0.0.1]:${sshd.port} ${type} ${blob}\n` }));
        await assert.rejects(p2.run(conn(), ["true"]), (e: any) => e instanceof ConnectError && /CHANGED/.test(e.message));
        p2.close();
    });

    it("refuses an unknown host", async () => {
        const p2 = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: "" }));
        await assert.rejects(p2.run(conn(), ["true"]), /unknown/);
        p2.close();
    });

    it("reports a refused connection naming the host", async () => {
        const p2 = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: sshd.knownHosts }));
        await assert.rejects(p2.run({ host: "127.0.0.1", port: 1, user: "root" }, ["true"]), /cannot connect to root@127\.0\.0\.1:1/);
        p2.close();
    });

    describe("a unix socket on the host (openUnixSocket)", () => {
        let server: net.Server;
        let sockPath: string;
        before(async () => {
            sockPath = path.join(sshd.dir, "echo.sock");
            // an upper-casing echo: proves the bytes went to this server and back
            server = net.createServer((s) => s.on("data", (d) => s.write(d.toString().toUpperCase())).on("error", () => undefined));
            await new Promise<void>((r) => server.listen(sockPath, r));
        });
        after(() => new Promise<void>((r) => server.close(() => r())));

        const roundTrip = (s: import("stream").Duplex, text: string) =>
            new Promise<string>((resolve, reject) => {
                s.once("data", (d) => resolve(d.toString()));
                s.once("error", reject);
                s.write(text);
            });

        it("opens a byte stream to it over the pooled connection (no second TCP connection)", async () => {
            const p2 = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: sshd.knownHosts }));
            try {
                const before = await connections(sshd);
                assert.equal(await check(p2, conn(), ["echo", "one"]), "one\n");
                const s = await p2.openUnixSocket(conn(), sockPath);
                assert.equal(await roundTrip(s, "hello through ssh"), "HELLO THROUGH SSH");
                s.destroy();
                assert.equal((await connections(sshd)) - before, 1);
            } finally {
                p2.close();
            }
        });

        it("streams do not take command slots: 12 open streams and 10 commands at once", async () => {
            const streams = await Promise.all(Array.from({ length: 12 }, () => pool.openUnixSocket(conn(), sockPath)));
            try {
                const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => check(pool, conn(), ["echo", String(i)], { timeoutMs: 10_000 })));
                assert.deepEqual(
                    outs,
                    Array.from({ length: 10 }, (_, i) => `${i}\n`),
                );
                assert.deepEqual(
                    await Promise.all(streams.map((s, i) => roundTrip(s, `s${i}`))),
                    Array.from({ length: 12 }, (_, i) => `S${i}`),
                );
            } finally {
                for (const s of streams) s.destroy();
            }
        });

        it("a socket that is not there fails naming the host and the path", async () => {
            await assert.rejects(pool.openUnixSocket(conn(), path.join(sshd.dir, "missing.sock")), (e: any) => {
                assert.match(e.message, /^cannot open unix socket \/.*\/missing\.sock on root@127\.0\.0\.1:\d+: /);
                return true;
            });
        });

        it("re-dials a dropped connection before opening", async () => {
            await check(pool, conn(), ["true"]);
            execFileSync("sh", ["-c", `pkill -P ${sshd.pid} || true`]);
            await new Promise((r) => setTimeout(r, 300));
            const s = await pool.openUnixSocket(conn(), sockPath);
            assert.equal(await roundTrip(s, "back"), "BACK");
            s.destroy();
        });
    });

    it("key file stays where it is: the known_hosts file the helper wrote pins this sshd", () => {
        assert.ok(fs.readFileSync(path.join(sshd.dir, "known_hosts"), "utf8").includes(sshd.hostKeyPub.split(" ")[1]));
    });
});
