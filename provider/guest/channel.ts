// Client side of the dvrlab guest command channel.
//
// A guest (the lab's: lab/guest/build.sh) runs /sbin/dvrlab-agent on its second serial port,
// ttyS1; the hypervisor exposes that port as a unix socket on the guest's host (libvirt
// `<serial type='unix'><source mode='bind' path='…'/><target port='1'/></serial>`, qemu
// `-chardev socket,server=on,wait=off`). This module opens a byte stream to that socket (locally,
// or on a remote host through SSH's streamlocal forwarding, no tool needed on the host), and runs
// an argv in the guest:
//
//   const r = await guestExec(hostSocket(pool, conn, '/var/lib/libvirt/qemu/vm1.agent.sock'), ['ip', '-4', 'addr']);
//   // r = { stdout, stderr, code }
//
// Wire format, one line each way (see lab/guest/files/dvrlab-agent):
//   -> DVRLAB1 PING <id>                 <- DVRLAB1 PONG <id> <uptime>
//   -> DVRLAB1 REQ <id> <secs> <b64 argv, each arg NUL-terminated> <b64 stdin | ->
//   <- DVRLAB1 RES <id> <code> <timed-out 0|1> <b64 stdout | -> <b64 stderr | ->
//   <- DVRLAB1 BAD <id> <reason>
// Nothing is quoted into a shell string: the guest rebuilds "$@" from the NUL-separated argv and
// execs it under `timeout`.
import { randomBytes } from "crypto";
import * as net from "net";
import { Duplex } from "stream";
import { Connection as HostConnection, describe } from "../ssh/executor";

/** A unix socket on some host, reachable as a fresh duplex byte stream per `open()`. */
export interface GuestSocket {
    /** Names the socket (host + path): calls with the same key are serialized. */
    readonly key: string;
    open(): Promise<Duplex>;
    /**
     * Send a lone newline when an answer stalls half-way (see `sshSocket`): the agent ignores
     * empty lines, and the segment carries the TCP ACK that the far end's Nagle waits for.
     */
    readonly nudgeStalledAnswers?: boolean;
}

export interface GuestExecOptions {
    /** Limit for the command inside the guest (rounded up to whole seconds). Default 30 s. */
    timeoutMs?: number;
    /** How long to wait for the agent to answer, e.g. while the guest boots. Default 60 s. */
    readyTimeoutMs?: number;
    /** Bytes for the command's standard input (default: /dev/null). */
    stdin?: string | Buffer;
}

export interface GuestExecResult {
    stdout: string;
    stderr: string;
    /** Exit status; 128+N when killed by signal N, 127 when the program was not found. */
    code: number;
}

export type GuestChannelErrorKind =
    | "not-ready" // the agent did not answer a PING within readyTimeoutMs (booting, dead, wrong socket)
    | "timeout" // the command ran past its limit in the guest and was killed
    | "no-response" // the agent accepted a command but never answered (guest hung, port closed)
    | "closed" // the stream ended or failed while waiting
    | "protocol"; // the agent rejected the request or answered garbage

export class GuestChannelError extends Error {
    constructor(
        readonly kind: GuestChannelErrorKind,
        message: string,
        readonly socketKey: string,
        readonly argv?: readonly string[],
    ) {
        super(message);
        this.name = "GuestChannelError";
    }
}

/** The command was killed at its time limit; what it printed until then is kept. */
export class GuestCommandTimeoutError extends GuestChannelError {
    constructor(
        message: string,
        socketKey: string,
        argv: readonly string[],
        readonly result: GuestExecResult,
    ) {
        super("timeout", message, socketKey, argv);
        this.name = "GuestCommandTimeoutError";
    }
}

const MAGIC = "DVRLAB1";
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const PING_INTERVAL_MS = 500;
/** Time the agent needs beyond the command's limit: `timeout -k 2` and writing the answer. */
const ANSWER_GRACE_MS = 8_000;
const MAX_LINE = 64 * 1024 * 1024;
const NUDGE_AFTER_MS = 2;

/** A socket on this machine (tests, or a provider running on the host itself). */
export function localSocket(path: string): GuestSocket {
    return {
        key: `local:${path}`,
        open: () =>
            new Promise<Duplex>((resolve, reject) => {
                const s = net.connect(path);
                s.once("connect", () => {
                    s.removeListener("error", reject);
                    resolve(s);
                });
                s.once("error", reject);
            }),
    };
}

/** The part of ssh2's `Client` this module uses (avoids a dependency on ssh2's types). */
export interface StreamLocalForwarder {
    openssh_forwardOutStreamLocal(socketPath: string, cb: (err: Error | undefined, stream: Duplex) => void): unknown;
    setNoDelay?(noDelay: boolean): unknown;
}

const clientIds = new WeakMap<object, number>();
let nextClientId = 1;

/**
 * A socket on a remote host, opened through a connected ssh2 `Client` with OpenSSH's
 * direct-streamlocal channel (sshd's AllowStreamLocalForwarding, on by default). `label` (e.g. the
 * host name) makes errors readable; serialization is per client object and path either way.
 *
 * Latency: qemu hands the guest's serial output to the socket a byte at a time, so sshd forwards
 * an answer in several small packets, and sshd leaves Nagle on for non-interactive channels: each
 * packet after the first waits for the client's delayed ACK (40 ms). Hence TCP_NODELAY on the
 * client's socket (this changes it for the whole SSH connection; it only lowers latency) and a
 * one-byte nudge when an answer stalls half-way. Measured on the lab: 60 ms per command → ~3 ms.
 */
export function sshSocket(client: StreamLocalForwarder, path: string, label?: string): GuestSocket {
    let id = clientIds.get(client);
    if (id === undefined) {
        id = nextClientId++;
        clientIds.set(client, id);
    }
    return {
        key: `ssh#${id}${label ? `(${label})` : ""}:${path}`,
        nudgeStalledAnswers: true,
        open: () =>
            new Promise<Duplex>((resolve, reject) => {
                try {
                    client.setNoDelay?.(true);
                    client.openssh_forwardOutStreamLocal(path, (err, stream) => (err ? reject(err) : resolve(stream)));
                } catch (e) {
                    reject(e); // ssh2 throws synchronously when the client is not connected
                }
            }),
    };
}

/** What `hostSocket` needs of the executor (`SshPool.openUnixSocket`). */
export interface UnixSocketOpener {
    openUnixSocket(c: HostConnection, socketPath: string): Promise<Duplex>;
}

/**
 * A socket on a remote host, opened over the executor's pooled connection to it (host key pinned,
 * re-dialled when dropped; the pool sets TCP_NODELAY, see `sshSocket` for why that matters).
 */
export function hostSocket(ex: UnixSocketOpener, c: HostConnection, path: string, label?: string): GuestSocket {
    return {
        key: `ssh ${describe(c)}${label ? `(${label})` : ""}:${path}`,
        nudgeStalledAnswers: true,
        open: () => ex.openUnixSocket(c, path),
    };
}

// Per-socket FIFO lock: the agent runs one command at a time and the hypervisor's socket takes
// one client at a time, so concurrent callers queue here instead of fighting over the socket.
const tails = new Map<string, Promise<void>>();
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    tails.set(key, tail);
    await prev;
    try {
        return await fn();
    } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function encodeArgv(argv: readonly string[]): string {
    if (!Array.isArray(argv) || argv.length === 0) throw new TypeError("argv must be a non-empty array of strings");
    const parts: Buffer[] = [];
    for (const a of argv) {
        if (typeof a !== "string") throw new TypeError(`argv items must be strings, got ${typeof a}`);
        if (a.includes("\0")) throw new TypeError(`argv items cannot contain NUL: ${JSON.stringify(a)}`);
        parts.push(Buffer.from(a, "utf8"), Buffer.from([0]));
    }
    return Buffer.concat(parts).toString("base64");
}

const decode = (field: string | undefined) => (field === undefined || field === "-" || field === "" ? "" : Buffer.from(field, "base64").toString("utf8"));

/** One open stream to the agent, split into lines; waiters pick the line they are after. */
class Connection {
    private buf = "";
    private waiters: { match: (fields: string[]) => boolean; resolve: (f: string[]) => void }[] = [];
    private failure: Error | undefined;
    private failWaiters: ((e: Error) => void)[] = [];
    private nudgeTimer: NodeJS.Timeout | undefined;

    constructor(
        readonly stream: Duplex,
        private readonly nudge = false,
    ) {
        stream.setEncoding("latin1"); // the protocol is ASCII; junk must not throw
        stream.on("data", (chunk: string) => this.onData(chunk));
        stream.on("error", (e) => this.fail(e));
        stream.on("close", () => this.fail(new Error("stream closed")));
        stream.on("end", () => this.fail(new Error("stream ended")));
    }

    private onData(chunk: string) {
        this.buf += chunk;
        let nl: number;
        while ((nl = this.buf.indexOf("\n")) >= 0) {
            const line = this.buf.slice(0, nl).replace(/\r$/, "");
            this.buf = this.buf.slice(nl + 1);
            // anything before the magic (console noise, an echo from before the agent set raw
            // mode) is dropped; so are answers for other ids
            const at = line.indexOf(`${MAGIC} `);
            if (at < 0) continue;
            const fields = line.slice(at).split(" ");
            const i = this.waiters.findIndex((w) => w.match(fields));
            if (i >= 0) this.waiters.splice(i, 1)[0].resolve(fields);
        }
        if (this.buf.length > MAX_LINE) this.fail(new Error(`line longer than ${MAX_LINE} bytes`));
        if (this.nudge) {
            // half a line and then silence: the rest is likely held back waiting for our ACK
            clearTimeout(this.nudgeTimer);
            if (this.buf.length > 0) {
                this.nudgeTimer = setTimeout(() => {
                    if (!this.failure && this.buf.length > 0) this.stream.write("\n");
                }, NUDGE_AFTER_MS);
            }
        }
    }

    private fail(e: Error) {
        if (this.failure) return;
        this.failure = e;
        clearTimeout(this.nudgeTimer);
        for (const f of this.failWaiters) f(e);
        this.failWaiters = [];
    }

    /** Resolves with the first line `match` accepts, undefined after `ms`; rejects if the stream fails. */
    waitFor(match: (fields: string[]) => boolean, ms: number): Promise<string[] | undefined> {
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve, reject) => {
            const w = {
                match,
                resolve: (f: string[]) => {
                    cleanup();
                    resolve(f);
                },
            };
            const onFail = (e: Error) => {
                cleanup();
                reject(e);
            };
            const timer = setTimeout(() => {
                cleanup();
                resolve(undefined);
            }, ms);
            const cleanup = () => {
                clearTimeout(timer);
                const i = this.waiters.indexOf(w);
                if (i >= 0) this.waiters.splice(i, 1);
                const j = this.failWaiters.indexOf(onFail);
                if (j >= 0) this.failWaiters.splice(j, 1);
            };
            this.waiters.push(w);
            this.failWaiters.push(onFail);
        });
    }

    send(line: string) {
        // the leading newline ends any partial line left in the guest's tty by an earlier client
        this.stream.write(`\n${line}\n`);
    }

    close() {
        clearTimeout(this.nudgeTimer);
        this.stream.removeAllListeners("data");
        this.stream.on("error", () => undefined);
        this.stream.end();
        this.stream.destroy();
    }
}

let idCounter = 0;
const newId = () => `${randomBytes(4).toString("hex")}${(idCounter++).toString(36)}`;

/**
 * An exclusive, open connection to one guest's agent (see `withGuestSession`). Each `exec` costs
 * one round trip; `guestExec` adds a connect and a readiness PING per call.
 */
export class GuestSession {
    private constructor(
        private readonly conn: Connection,
        readonly socketKey: string,
        /** Guest uptime (s) when the agent first answered. */
        readonly uptimeSeconds: number,
    ) {}

    /** Connects and waits until the agent answers a PING. Caller must hold the socket's lock. */
    static async open(socket: GuestSocket, readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<GuestSession> {
        const deadline = Date.now() + readyTimeoutMs;
        let lastError = "no answer to PING";
        while (Date.now() < deadline) {
            let stream: Duplex;
            try {
                stream = await socket.open();
            } catch (e) {
                // the socket appears only once the hypervisor started; it refuses while another
                // process holds it
                lastError = `connect: ${(e as Error).message}`;
                await sleep(Math.min(PING_INTERVAL_MS, Math.max(0, deadline - Date.now())));
                continue;
            }
            const conn = new Connection(stream, socket.nudgeStalledAnswers);
            const ids = new Set<string>();
            try {
                while (Date.now() < deadline) {
                    const id = newId();
                    ids.add(id);
                    conn.send(`${MAGIC} PING ${id}`);
                    const pong = await conn.waitFor((f) => f[1] === "PONG" && ids.has(f[2]), Math.min(PING_INTERVAL_MS, Math.max(1, deadline - Date.now())));
                    if (pong) return new GuestSession(conn, socket.key, Number(pong[3]));
                }
            } catch (e) {
                lastError = `stream: ${(e as Error).message}`;
                await sleep(Math.min(PING_INTERVAL_MS, Math.max(0, deadline - Date.now())));
            }
            conn.close();
        }
        throw new GuestChannelError("not-ready", `guest agent at ${socket.key} did not answer within ${readyTimeoutMs} ms (${lastError})`, socket.key);
    }

    async exec(argv: readonly string[], opts: GuestExecOptions = {}): Promise<GuestExecResult> {
        const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        if (!(timeoutMs > 0)) throw new TypeError(`timeoutMs must be positive, got ${timeoutMs}`);
        const secs = Math.ceil(timeoutMs / 1000);
        const encodedArgv = encodeArgv(argv);
        const stdin = opts.stdin === undefined || opts.stdin.length === 0 ? "-" : Buffer.from(opts.stdin).toString("base64");
        const id = newId();
        const what = `${JSON.stringify(argv)} in guest at ${this.socketKey}`;
        this.conn.send(`${MAGIC} REQ ${id} ${secs} ${encodedArgv} ${stdin}`);
        let answer: string[] | undefined;
        try {
            answer = await this.conn.waitFor((f) => (f[1] === "RES" || f[1] === "BAD") && f[2] === id, secs * 1000 + ANSWER_GRACE_MS);
        } catch (e) {
            throw new GuestChannelError("closed", `${what}: ${(e as Error).message}`, this.socketKey, argv);
        }
        if (!answer) {
            throw new GuestChannelError(
                "no-response",
                `${what}: no answer within ${secs}s + ${ANSWER_GRACE_MS} ms (guest hung or agent died)`,
                this.socketKey,
                argv,
            );
        }
        if (answer[1] === "BAD") {
            throw new GuestChannelError("protocol", `${what}: agent rejected the request (${answer[3]})`, this.socketKey, argv);
        }
        const code = Number(answer[3]);
        if (answer.length !== 7 || !Number.isInteger(code)) {
            throw new GuestChannelError("protocol", `${what}: malformed answer ${answer.slice(0, 5).join(" ")}…`, this.socketKey, argv);
        }
        const result: GuestExecResult = { stdout: decode(answer[5]), stderr: decode(answer[6]), code };
        if (answer[4] === "1") {
            throw new GuestCommandTimeoutError(
                `${what}: timed out after ${secs}s (killed, exit ${code}); stdout: ${JSON.stringify(result.stdout)}, stderr: ${JSON.stringify(result.stderr)}`,
                this.socketKey,
                argv,
                result,
            );
        }
        return result;
    }

    close() {
        this.conn.close();
    }
}

/**
 * Runs `fn` with the socket to itself: waits its turn behind other callers in this process, then
 * until the agent answers (bounded by `readyTimeoutMs`), and closes the connection afterwards.
 */
export async function withGuestSession<T>(socket: GuestSocket, fn: (session: GuestSession) => Promise<T>, opts: { readyTimeoutMs?: number } = {}): Promise<T> {
    return withLock(socket.key, async () => {
        const session = await GuestSession.open(socket, opts.readyTimeoutMs);
        try {
            return await fn(session);
        } finally {
            session.close();
        }
    });
}

/**
 * Runs `argv` in the guest behind `socket` and returns what it printed and its exit status. A
 * non-zero exit is a result, not an error; errors are `GuestChannelError`s (agent not ready,
 * command timed out, no answer, protocol).
 */
export async function guestExec(socket: GuestSocket, argv: readonly string[], opts: GuestExecOptions = {}): Promise<GuestExecResult> {
    encodeArgv(argv); // reject a bad argv before queueing
    return withGuestSession(socket, (s) => s.exec(argv, opts), { readyTimeoutMs: opts.readyTimeoutMs });
}

/** Waits (bounded) until the agent answers; returns the guest's uptime at that moment. */
export function waitForAgent(socket: GuestSocket, readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<number> {
    return withGuestSession(socket, async (s) => s.uptimeSeconds, { readyTimeoutMs });
}
