// The guest channel's protocol, end to end but without a VM: the real agent script
// (lab/guest/files/dvrlab-agent) runs on this host under `busybox sh`, behind a unix socket that
// behaves like qemu's `-chardev socket,server=on,wait=off` (one client at a time, output dropped
// while nobody is connected). test/lab/guest.test.ts does the same against a booted guest.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { NodeSSH } from "node-ssh";
import {
    GuestChannelError,
    GuestCommandTimeoutError,
    guestExec,
    localSocket,
    hostSocket,
    sshSocket,
    waitForAgent,
    withGuestSession,
} from "../../provider/guest/channel";
import { SshPool } from "../../provider/ssh/executor";
import { connections, startSshd, TestSshd } from "../helpers/sshd";

const AGENT = path.join(__dirname, "../../lab/guest/files/dvrlab-agent");

/** A fake serial port: agent on stdio, clients on a unix socket, served one at a time like qemu. */
class FakeSerial {
    agent: ChildProcess | undefined;
    server: net.Server;
    private current: net.Socket | undefined;
    private waiting: net.Socket[] = [];

    constructor(
        readonly sockPath: string,
        readonly workDir: string,
    ) {
        this.server = net.createServer({ pauseOnConnect: true }, (c) => {
            c.on("error", () => undefined);
            this.waiting.push(c);
            this.next();
        });
    }

    listen() {
        return new Promise<void>((r) => this.server.listen(this.sockPath, r));
    }

    startAgent() {
        this.agent = spawn("busybox", ["sh", AGENT], {
            env: { DVRLAB_AGENT_DIR: this.workDir },
            stdio: ["pipe", "pipe", "inherit"],
        });
        this.agent.stdout!.on("data", (d) => this.current?.write(d));
        this.agent.stdin!.on("error", () => undefined);
    }

    private next() {
        if (this.current || this.waiting.length === 0) return;
        const c = this.waiting.shift()!;
        this.current = c;
        // like the serial port, bytes from the client wait in a buffer until the agent runs
        c.on("data", (d) => (this.agent ? this.agent.stdin!.write(d) : undefined));
        c.once("close", () => {
            this.current = undefined;
            this.next();
        });
        c.resume();
    }

    async close() {
        this.agent?.kill("SIGKILL");
        for (const c of [this.current, ...this.waiting]) c?.destroy();
        await new Promise((r) => this.server.close(r));
    }
}

describe("guest channel protocol (agent on the host, no VM)", function () {
    let tmp: string;
    let serial: FakeSerial;

    before(function () {
        // scripts/setup.sh installs busybox-static: missing is a failure, not a skip
        assert.equal(spawnSync("busybox", ["true"]).status, 0, "busybox missing: run scripts/setup.sh");
    });

    beforeEach(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-chan-"));
        serial = new FakeSerial(path.join(tmp, "agent.sock"), path.join(tmp, "work"));
        await serial.listen();
    });

    afterEach(async () => {
        await serial.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("returns stdout, stderr and the exit code, without throwing on non-zero", async () => {
        serial.startAgent();
        const sock = localSocket(serial.sockPath);
        assert.deepStrictEqual(await guestExec(sock, ["sh", "-c", "echo out; echo err >&2; exit 3"]), {
            stdout: "out\n",
            stderr: "err\n",
            code: 3,
        });
        const missing = await guestExec(sock, ["dvrl-no-such-program"]);
        assert.strictEqual(missing.code, 127);
        assert.match(missing.stderr, /dvrl-no-such-program/);
    });

    it("passes hostile arguments through literally", async () => {
        serial.startAgent();
        const hostile = ["a b;rm -rf /", "$(x)", "`id`", "'\"", "new\nline\n", "", " ", "*", "\\", "-n", "ü€😀", "\t"];
        const r = await guestExec(localSocket(serial.sockPath), ["printf", "[%s]", ...hostile]);
        assert.strictEqual(r.code, 0);
        assert.strictEqual(r.stdout, hostile.map((a) => `[${a}]`).join(""));
    });

    it("feeds stdin", async () => {
        serial.startAgent();
        const input = "line 1\nDVRLAB1 RES fake 0 0 - -\n" + "x".repeat(100_000);
        const r = await guestExec(localSocket(serial.sockPath), ["cat"], { stdin: input });
        assert.strictEqual(r.stdout, input);
    });

    it("reports a command killed at its time limit, with what it printed", async () => {
        serial.startAgent();
        const t0 = Date.now();
        await assert.rejects(guestExec(localSocket(serial.sockPath), ["sh", "-c", "echo started; sleep 10"], { timeoutMs: 1000 }), (e: unknown) => {
            assert.ok(e instanceof GuestCommandTimeoutError, String(e));
            assert.strictEqual(e.kind, "timeout");
            assert.strictEqual(e.result.stdout, "started\n");
            assert.match(e.message, /timed out after 1s/);
            return true;
        });
        assert.ok(Date.now() - t0 < 4000);
    });

    it("waits for an agent that is still starting, then runs", async () => {
        setTimeout(() => serial.startAgent(), 1500);
        const t0 = Date.now();
        const r = await guestExec(localSocket(serial.sockPath), ["echo", "late"], { readyTimeoutMs: 10_000 });
        assert.strictEqual(r.stdout, "late\n");
        assert.ok(Date.now() - t0 >= 1400);
    });

    it("gives up on an agent that never answers, with a clear error", async () => {
        await assert.rejects(waitForAgent(localSocket(serial.sockPath), 1200), (e: unknown) => {
            assert.ok(e instanceof GuestChannelError && e.kind === "not-ready", String(e));
            assert.match(e.message, /did not answer within 1200 ms/);
            return true;
        });
        await assert.rejects(waitForAgent(localSocket(path.join(tmp, "missing.sock")), 600), /ENOENT/);
    });

    it("serializes concurrent callers on one socket", async () => {
        serial.startAgent();
        const sock = localSocket(serial.sockPath);
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => guestExec(localSocket(serial.sockPath), ["echo", `n${i}`])));
        assert.deepStrictEqual(
            results.map((r) => r.stdout),
            Array.from({ length: 12 }, (_, i) => `n${i}\n`),
        );
        await withGuestSession(sock, async (s) => {
            for (let i = 0; i < 5; i++) assert.strictEqual((await s.exec(["echo", `${i}`])).stdout, `${i}\n`);
        });
    });

    it("reaches a socket on a remote host through SSH streamlocal forwarding", async function () {
        if (process.getuid?.() !== 0) this.skip(); // the lab (and npm test) run as root
        assert.ok(fs.existsSync("/usr/sbin/sshd"), "sshd missing: scripts/setup.sh installs openssh-server");
        serial.startAgent();
        let sshd: TestSshd | undefined;
        const ssh = new NodeSSH();
        try {
            sshd = await startSshd();
            await ssh.connect({ host: sshd.host, port: sshd.port, username: "root", privateKey: sshd.clientKey });
            const sock = sshSocket(ssh.connection!, serial.sockPath, "test-host");
            assert.match(sock.key, /^ssh#\d+\(test-host\):/);
            const r = await guestExec(sock, ["printf", "%s|", "a b", "$(x)"]);
            assert.deepStrictEqual(r, { stdout: "a b|$(x)|", stderr: "", code: 0 });
            const par = await Promise.all([1, 2, 3].map((i) => guestExec(sock, ["echo", `${i}`])));
            assert.deepStrictEqual(
                par.map((x) => x.stdout),
                ["1\n", "2\n", "3\n"],
            );
            await assert.rejects(
                waitForAgent(sshSocket(ssh.connection!, path.join(tmp, "missing.sock")), 800),
                (e: unknown) => e instanceof GuestChannelError && e.kind === "not-ready",
            );
        } finally {
            ssh.dispose();
            await sshd?.stop();
        }
    });

    it("reaches a socket on a remote host over the provider's SSH executor (hostSocket: pooled, pinned)", async function () {
        if (process.getuid?.() !== 0 || !fs.existsSync("/usr/sbin/sshd")) this.skip();
        serial.startAgent();
        const sshd = await startSshd();
        const pool = new SshPool(() => ({ privateKey: sshd.clientKey, knownHosts: sshd.knownHosts }));
        const conn = { host: sshd.host, port: sshd.port, user: "root" };
        const before = await connections(sshd); // the helper's readiness probe
        try {
            const sock = hostSocket(pool, conn, serial.sockPath, "test-host");
            assert.strictEqual(sock.key, `ssh root@127.0.0.1:${sshd.port}(test-host):${serial.sockPath}`);
            assert.deepStrictEqual(await guestExec(sock, ["printf", "%s|", "a b", "$(x)"]), { stdout: "a b|$(x)|", stderr: "", code: 0 });
            const par = await Promise.all([1, 2, 3].map((i) => guestExec(sock, ["echo", `${i}`])));
            assert.deepStrictEqual(
                par.map((x) => x.stdout),
                ["1\n", "2\n", "3\n"],
            );
            // host commands and guest commands share the one pooled connection
            assert.strictEqual((await pool.run(conn, ["echo", "host"])).stdout, "host\n");
            assert.strictEqual((await connections(sshd)) - before, 1);
            await assert.rejects(
                waitForAgent(hostSocket(pool, conn, path.join(tmp, "missing.sock")), 800),
                (e: unknown) =>
                    e instanceof GuestChannelError && e.kind === "not-ready" && /cannot open unix socket .*missing\.sock on root@127\.0\.0\.1/.test(e.message),
            );
        } finally {
            pool.close();
            await sshd.stop();
        }
    });

    it("ignores junk on the line and rejects a bad argv before sending", async () => {
        serial.startAgent();
        serial.agent!.stdin!.write("garbage DVRLAB1 REQ\nDVRLAB1 REQ x 1 !!! -\n");
        assert.strictEqual((await guestExec(localSocket(serial.sockPath), ["echo", "ok"])).stdout, "ok\n");
        await assert.rejects(guestExec(localSocket(serial.sockPath), []), TypeError);
        await assert.rejects(guestExec(localSocket(serial.sockPath), ["a\0b"]), /cannot contain NUL/);
    });
});
