// A real sshd on 127.0.0.1 for tests: own config, host key and client key, in a private mount
// namespace whose /root holds only .ssh and a minimal .bashrc (root's real one is slow).
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface TestSshd {
    host: string;
    port: number;
    dir: string;
    clientKeyFile: string;
    clientKey: string;
    knownHosts: string; // pins this sshd's host key
    knownHostsFile: string;
    hostKeyPub: string;
    /** The sshd listener; its children are the client sessions. */
    pid: number;
    /** sshd's log so far (VERBOSE: one 'Accepted publickey' line per session). */
    log(): string;
    stop(): Promise<void>;
}

async function freePort(): Promise<number> {
    return new Promise((res, rej) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => res(p));
        });
        s.on("error", rej);
    });
}

async function waitForPort(port: number, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        const ok = await new Promise<boolean>((res) => {
            const c = net.connect(port, "127.0.0.1");
            c.once("data", () => {
                c.destroy();
                res(true);
            });
            c.once("error", () => res(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not start on port ${port}`);
}

export async function startSshd(): Promise<TestSshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-sshd-"));
    const home = path.join(dir, "root");
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, ".bashrc"), "# dvrlab test host: keep non-interactive commands fast\n");
    const hostKey = path.join(dir, "host_ed25519");
    const clientKeyFile = path.join(dir, "client_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKeyFile]);
    fs.copyFileSync(clientKeyFile + ".pub", path.join(home, ".ssh", "authorized_keys"));
    const port = await freePort();
    const cfg = path.join(dir, "sshd_config");
    fs.writeFileSync(
        cfg,
        [
            `ListenAddress 127.0.0.1:${port}`,
            `HostKey ${hostKey}`,
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PidFile none",
            "MaxSessions 10",
            "MaxStartups 50",
            "AllowStreamLocalForwarding yes",
            "LogLevel VERBOSE",
            "",
        ].join("\n"),
    );
    fs.mkdirSync("/run/sshd", { recursive: true });
    const proc: ChildProcess = spawn(
        "unshare",
        ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" /root && exec /usr/sbin/sshd -D -e -f "$2"', "sh", home, cfg],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    proc.stderr?.on("data", (d) => (stderr += d));
    try {
        await waitForPort(port, 5000);
    } catch (e) {
        proc.kill("SIGKILL");
        throw new Error(`${(e as Error).message}: ${stderr}`);
    }
    const hostKeyPub = fs.readFileSync(hostKey + ".pub", "utf8").trim();
    const [type, blob] = hostKeyPub.split(/\s+/);
    const knownHosts = `[127.0.0.1]:${port} ${type} ${blob}\n`;
    const knownHostsFile = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsFile, knownHosts);
    return {
        host: "127.0.0.1",
        port,
        dir,
        clientKeyFile,
        clientKey: fs.readFileSync(clientKeyFile, "utf8"),
        knownHosts,
        knownHostsFile,
        hostKeyPub,
        pid: proc.pid!,
        log: () => stderr,
        async stop() {
            if (proc.exitCode === null) {
                const exited = new Promise((r) => proc.once("exit", r));
                proc.kill("SIGTERM");
                await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/**
 * sshd's log once it stopped growing. The log arrives on a pipe this process reads on its event
 * loop: right after a blocking spawnSync (the pulumi CLI) it is not read yet, so read it settled.
 */
export async function settledLog(s: TestSshd): Promise<string> {
    let last = "";
    for (let i = 0; i < 20 && s.log() !== last; i++) {
        last = s.log();
        await new Promise((r) => setTimeout(r, 150));
    }
    return s.log();
}

/** TCP connections sshd accepted so far (any connection counts, logged in or not). */
export const connections = async (s: TestSshd): Promise<number> => ((await settledLog(s)).match(/^Connection from /gm) ?? []).length;
