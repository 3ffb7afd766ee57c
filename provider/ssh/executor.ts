import { NodeSSH } from "node-ssh";
import { Duplex, PassThrough, Readable } from "stream";
import { Argv, shellJoin } from "./quote";
import { KnownHost, parseKnownHosts, verifyHostKey } from "./knownHosts";

export interface Connection {
    host: string;
    port: number;
    user: string;
    /** "sudo": a non-root login whose commands run through passwordless `sudo -n`. */
    become?: "sudo";
    /** Config key of the private key (credentials' business; the pool only passes it on). */
    keyRef?: string;
    /** Authenticate with the ssh-agent of this process (SSH_AUTH_SOCK). */
    agent?: boolean;
    /** The host's stable name (identity in the state; not used to connect). */
    name?: string;
    /** A jump host dialled first; the host is reached over a channel of that connection. */
    bastion?: Bastion;
}

export interface Bastion {
    host: string;
    port: number;
    user: string;
    /** unset: the host's keyRef */
    keyRef?: string;
}

export interface Credentials {
    /** At least one of privateKey and agent. */
    privateKey?: string;
    passphrase?: string;
    /** An ssh-agent's socket path (SSH_AUTH_SOCK). */
    agent?: string;
    knownHosts: string; // OpenSSH known_hosts text
}

export interface ExecResult {
    stdout: string;
    stderr: string;
    code: number;
}

export interface ExecOptions {
    stdin?: string;
    /**
     * Instead of `stdin`: a stream (a large local file) piped with backpressure; a read error fails
     * the command. A separate field so executors that only take text need not handle it.
     */
    stdinStream?: Readable;
    /** Per-command limit; the remote side runs the command under coreutils `timeout` too. */
    timeoutMs?: number;
    /** For the debug log (core/commandLog.ts): the commands this call stands for (a batch run as one script). */
    logAs?: readonly Argv[];
}

/** The interface resources program against; tests of pure planners may pass a fake. */
export interface Executor {
    run(c: Connection, argv: Argv, opts?: ExecOptions): Promise<ExecResult>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** Debian's root PATH: a non-root login's PATH lacks the sbin directories where ip, ovs-vsctl, iptables live. */
export const ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The command line a host runs for `argv`: as root (sudo -n when asked), C locale, root's PATH, under `timeout`. */
export function remoteArgv(c: Pick<Connection, "become">, argv: Argv, timeoutSecs: number): Argv {
    const inner = ["env", "LC_ALL=C", `PATH=${ROOT_PATH}`, "timeout", "-k", "2", String(timeoutSecs), ...argv];
    return c.become === "sudo" ? ["sudo", "-n", "--", ...inner] : inner;
}
// sshd's MaxSessions defaults to 10: stay below it per connection.
const MAX_CHANNELS = 8;
const OPEN_TIMEOUT_MS = 10_000;

export function describe(c: Connection): string {
    const b = c.bastion;
    return `${c.user}@${c.host}:${c.port}` + (b ? ` via ${b.user}@${b.host}:${b.port}` : "");
}

/** The bastion as a connection of its own: its user, key (else the host's) and the host's agent setting. */
export function bastionConnection(c: Connection): Connection | undefined {
    const b = c.bastion;
    return b && { host: b.host, port: b.port, user: b.user, keyRef: b.keyRef ?? c.keyRef, agent: c.agent };
}

class ForwardError extends Error {}

/** A TCP channel from the bastion to the host (what `ssh -J` does), bounded: a host that drops SYNs would hold it for minutes. */
function forwardOut(via: NodeSSH, c: Connection): Promise<Duplex> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(
            () => reject(new ForwardError(`the bastion could not reach ${c.host}:${c.port} within ${OPEN_TIMEOUT_MS} ms`)),
            OPEN_TIMEOUT_MS,
        );
        try {
            via.connection!.forwardOut("127.0.0.1", 0, c.host, c.port, (err: Error | undefined, stream: any) => {
                clearTimeout(timer);
                if (err) reject(new ForwardError(`the bastion could not open a channel to ${c.host}:${c.port}: ${err.message}`));
                else resolve(stream);
            });
        } catch (e: any) {
            clearTimeout(timer);
            reject(new ForwardError(`the bastion connection is gone: ${e?.message ?? e}`));
        }
    });
}

export class CommandError extends Error {
    constructor(
        public readonly connection: Connection,
        public readonly argv: Argv,
        public readonly result: ExecResult,
    ) {
        super(
            `command failed on ${describe(connection)} (exit ${result.code}): ${shellJoin(argv)}` +
                (result.stderr.trim() ? `\nstderr: ${result.stderr.trim()}` : "") +
                (result.stdout.trim() ? `\nstdout: ${result.stdout.trim().slice(0, 2000)}` : ""),
        );
        this.name = "CommandError";
    }
}

export class ConnectError extends Error {
    constructor(c: Connection, reason: string) {
        super(`cannot connect to ${describe(c)}: ${reason}`);
        this.name = "ConnectError";
    }
}

/** The local side of a streamed stdin failed (e.g. the file vanished); the command was cut off. */
export class StdinError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StdinError";
    }
}

/** Throws CommandError unless the command exited 0; success is the exit code, never stderr. */
export async function check(ex: Executor, c: Connection, argv: Argv, opts?: ExecOptions): Promise<string> {
    const r = await ex.run(c, argv, opts);
    if (r.code !== 0) throw new CommandError(c, argv, r);
    return r.stdout;
}

class Semaphore {
    private waiting: (() => void)[] = [];
    constructor(private free: number) {}
    async acquire(): Promise<() => void> {
        if (this.free > 0) this.free--;
        else await new Promise<void>((res) => this.waiting.push(res));
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.waiting.shift();
            if (next) next();
            else this.free++;
        };
    }
}

interface Pooled {
    ssh?: NodeSSH;
    dialing?: Promise<NodeSSH>;
    sem: Semaphore;
}

/**
 * One pooled SSH connection per (host, port, user), reused across resources and operations;
 * host keys are pinned; a dropped connection is re-dialled on next use.
 */
export class SshPool implements Executor {
    private pool = new Map<string, Pooled>();
    private knownHostsCache?: { text: string; entries: KnownHost[] };

    constructor(private readonly credentials: (c: Connection) => Credentials) {}

    private entries(text: string): KnownHost[] {
        if (this.knownHostsCache?.text !== text) this.knownHostsCache = { text, entries: parseKnownHosts(text) };
        return this.knownHostsCache.entries;
    }

    private slot(c: Connection): Pooled {
        // pooled per (target, bastion): the same host through another jump host is another connection
        const key = describe(c);
        let p = this.pool.get(key);
        if (!p) {
            p = { sem: new Semaphore(MAX_CHANNELS) };
            this.pool.set(key, p);
        }
        return p;
    }

    /** The host directly, or through its bastion: the bastion's connection lives as long as the host's. */
    private async dial(c: Connection): Promise<NodeSSH> {
        const jump = bastionConnection(c);
        if (!jump) return this.dialOne(c, (reason) => new ConnectError(c, reason));
        const via = await this.dialOne(jump, (reason) => new ConnectError(c, `bastion ${describe(jump)}: ${reason}`));
        try {
            const ssh = await this.dialOne(
                c,
                (reason) => new ConnectError(c, reason),
                () => forwardOut(via, c),
            );
            ssh.connection?.on("close", () => via.dispose());
            return ssh;
        } catch (e) {
            via.dispose();
            throw e;
        }
    }

    /** One SSH connection, its host key pinned; over `sock` (a channel of a bastion) when given. */
    private async dialOne(c: Connection, fail: (reason: string) => Error, sock?: () => Promise<Duplex>): Promise<NodeSSH> {
        const creds = this.credentials(c);
        const entries = this.entries(creds.knownHosts);
        let lastErr = "";
        for (let attempt = 0; attempt < 3; attempt++) {
            let refusal: string | undefined;
            const ssh = new NodeSSH();
            try {
                await ssh.connect({
                    host: c.host,
                    port: c.port,
                    ...(sock ? { sock: await sock() } : {}),
                    username: c.user,
                    privateKey: creds.privateKey,
                    passphrase: creds.passphrase,
                    agent: creds.agent,
                    readyTimeout: 10_000,
                    keepaliveInterval: 5_000,
                    keepaliveCountMax: 3,
                    hostVerifier: (key: Buffer) => {
                        refusal = verifyHostKey(entries, c.host, c.port, key);
                        return refusal === undefined;
                    },
                } as any);
                // Each exec is a few small packets each way; with Nagle on, the second waits for the
                // far end's delayed ACK: 48 ms per command instead of 5 ms on the lab. (Through a
                // bastion the socket is a channel: the bastion's own socket has it set.)
                (ssh.connection as any)?.setNoDelay?.(true);
                return ssh;
            } catch (e: any) {
                ssh.dispose();
                if (refusal) throw fail(refusal); // never retry a key mismatch
                lastErr = e?.message ?? String(e);
                if (/authentication/i.test(lastErr)) {
                    lastErr += creds.agent
                        ? ` (tried ${creds.privateKey ? "the configured key and " : ""}the keys of the ssh-agent at SSH_AUTH_SOCK=${creds.agent})`
                        : " (tried the configured key)";
                    break;
                }
                if (e instanceof ForwardError) break; // the bastion answered: retrying will not change it
                await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
            }
        }
        throw fail(lastErr);
    }

    private async connection(c: Connection, p: Pooled): Promise<NodeSSH> {
        if (p.ssh?.isConnected()) return p.ssh;
        if (!p.dialing) {
            p.dialing = this.dial(c)
                .then((ssh) => {
                    p.ssh = ssh;
                    const drop = () => {
                        if (p.ssh === ssh) p.ssh = undefined;
                    };
                    ssh.connection?.on("close", drop);
                    ssh.connection?.on("error", drop);
                    return ssh;
                })
                .finally(() => {
                    p.dialing = undefined;
                });
        }
        return p.dialing;
    }

    async run(c: Connection, argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
        const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
        const line = shellJoin(remoteArgv(c, argv, secs));
        // node-ssh pipes a stream only if it is still readable when the channel opens (else it
        // writes the object as text): it gets a pass-through that stays readable. pipe() does not
        // pass a source error on, so that fails the command here, or the remote side would wait
        // for the end of its stdin until the timeout. Made once: a retry is only of a channel that
        // never opened, so nothing was read yet.
        const input = opts.stdinStream;
        const piped = input ? input.pipe(new PassThrough()) : undefined;
        let inputFailed = false;
        let channel: any;
        const inputError = input
            ? new Promise<never>((_, rej) =>
                  input.once("error", (err) => {
                      inputFailed = true;
                      channel?.close();
                      rej(new StdinError(`reading stdin failed (${err.message}) while running on ${describe(c)}: ${shellJoin(argv)}`));
                  }),
              )
            : undefined;
        inputError?.catch(() => undefined); // also when it fails while waiting for a channel slot
        const p = this.slot(c);
        const release = await p.sem.acquire();
        try {
            for (let attempt = 0; ; attempt++) {
                if (inputFailed) await inputError;
                const ssh = await this.connection(c, p);
                channel = undefined;
                let timer: NodeJS.Timeout | undefined;
                try {
                    const exec = ssh.execCommand(line, {
                        stdin: piped ?? opts.stdin,
                        noTrim: true,
                        onChannel: (ch: any) => {
                            channel = ch;
                            if (inputFailed) ch.close();
                        },
                    } as any);
                    const timeout = new Promise<never>((_, rej) => {
                        timer = setTimeout(() => {
                            channel?.close();
                            rej(new Error(`command timed out after ${timeoutMs} ms on ${describe(c)}: ${shellJoin(argv)}`));
                        }, timeoutMs + 3000);
                    });
                    const racers: Promise<any>[] = inputError ? [exec, timeout, inputError] : [exec, timeout];
                    const r = await Promise.race(racers);
                    // No exit status and no signal: the channel closed under the command (the connection
                    // or the host's sshd died). Its outcome is unknown: an error, never an exit code
                    // (255 would read as "no" to probes like `test -d`, and refresh as "gone").
                    if (r.code == null && !r.signal) throw new Error(`connection lost before the command finished (no exit status)`);
                    const code = r.code ?? 128;
                    if (code === 124) {
                        throw new Error(`command timed out after ${timeoutMs} ms on ${describe(c)}: ${shellJoin(argv)}`);
                    }
                    return { stdout: r.stdout, stderr: r.stderr, code };
                } catch (e: any) {
                    if (e instanceof StdinError) throw e;
                    const msg = e?.message ?? String(e);
                    // sshd refused the session (its MaxSessions slot of a channel we saw close is not
                    // free yet): nothing ran. Retry on the same connection; disposing it would kill
                    // every other command in flight on it.
                    if (/Unable to exec|open failed|channel open failure/i.test(msg) && ssh.isConnected() && attempt < 8) {
                        await new Promise((r) => setTimeout(r, 5 * (attempt + 1)));
                        continue;
                    }
                    // A channel that never opened on a dead connection ran nothing: safe to re-dial once.
                    if (!channel && attempt === 0 && /not connected|no response|channel open failure|ECONNRESET|closed/i.test(msg)) {
                        if (p.ssh === ssh) p.ssh = undefined;
                        ssh.dispose();
                        continue;
                    }
                    if (/timed out/.test(msg)) throw e;
                    throw new ConnectError(c, `${msg} (while running: ${shellJoin(argv)})`);
                } finally {
                    if (timer) clearTimeout(timer);
                }
            }
        } finally {
            release();
        }
    }

    /**
     * A byte stream to a unix socket on the host (e.g. a guest's command channel), over the pooled,
     * pinned connection: OpenSSH's direct-streamlocal channel (sshd's AllowStreamLocalForwarding,
     * on by default), so nothing runs on the host. Not counted against the command channel limit:
     * sshd's MaxSessions counts sessions, not forwarded channels. The caller closes the stream.
     */
    async openUnixSocket(c: Connection, socketPath: string, opts: { timeoutMs?: number } = {}): Promise<Duplex> {
        const timeoutMs = opts.timeoutMs ?? OPEN_TIMEOUT_MS;
        const p = this.slot(c);
        for (let attempt = 0; ; attempt++) {
            const ssh = await this.connection(c, p);
            try {
                return await new Promise<Duplex>((resolve, reject) => {
                    let settled = false;
                    const timer = setTimeout(() => {
                        settled = true;
                        reject(new Error(`opening unix socket ${socketPath} on ${describe(c)} timed out after ${timeoutMs} ms`));
                    }, timeoutMs);
                    const done = (err: Error | undefined, stream?: Duplex) => {
                        clearTimeout(timer);
                        if (settled) {
                            stream?.destroy(); // answered after the timeout: nobody wants it now
                            return;
                        }
                        settled = true;
                        if (err) reject(new Error(`cannot open unix socket ${socketPath} on ${describe(c)}: ${err.message}`));
                        else resolve(stream!);
                    };
                    try {
                        (ssh.connection as any).openssh_forwardOutStreamLocal(socketPath, done);
                    } catch (e: any) {
                        done(e instanceof Error ? e : new Error(String(e))); // ssh2 throws when not connected
                    }
                });
            } catch (e: any) {
                // The connection died under us (nothing was opened): re-dial once, as run() does.
                if (attempt === 0 && !ssh.isConnected()) {
                    if (p.ssh === ssh) p.ssh = undefined;
                    ssh.dispose();
                    continue;
                }
                throw e;
            }
        }
    }

    /** Closes every pooled connection (tests and scripts; the provider process just exits). */
    close(): void {
        for (const p of this.pool.values()) p.ssh?.dispose();
        this.pool.clear();
    }
}
