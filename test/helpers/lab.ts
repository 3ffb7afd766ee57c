// The lab, for tests and benchmarks: its hosts and SSH credentials, provider config that reaches
// it, out-of-band shell on a host (what a human would type, to change a host behind the
// provider's back or check what it did), test OVS bridges, the guest image uploaded to a host and
// the guest's command channel reached over SSH.
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NodeSSH } from "node-ssh";
import { GuestSocket, sshSocket } from "../../provider/guest/channel";
import { buildGuestImage, GuestManifest } from "../../lab/guest/image";
import { parseKnownHosts, verifyHostKey } from "../../provider/ssh/knownHosts";
import { shellJoin } from "../../provider/ssh/quote";
import { repoRoot } from "./pulumi";

/** The lab's hosts by name → address (also as LAB_HOSTS). */
export const LAB = { "server-233": "172.30.124.233", "server-64": "172.30.124.64", "server-68": "172.30.124.68" } as const;
export const LAB_HOSTS = LAB;
export const LAB_KEY = path.join(repoRoot, ".lab/ssh/id_ed25519");
export const LAB_KNOWN_HOSTS = path.join(repoRoot, ".lab/known_hosts");
export const labKey = LAB_KEY;
export const labKnownHosts = LAB_KNOWN_HOSTS;

/** Whether tests may use the lab (npm test sets DVRLAB_LAB_UP=1 after `lab:up`). */
export const labIsUp = process.env.DVRLAB_LAB_UP === "1";
export const labUp = labIsUp;
export const LAB_NOT_UP = "lab not up: run `npm run lab:up` and set DVRLAB_LAB_UP=1 (npm test does both)";
export const LAB_SKIP_REASON = LAB_NOT_UP;

/** Provider config that reaches the lab. */
export const labProviderConfig: Record<string, string> = {
    "dvrlab:sshPrivateKeyFile": LAB_KEY,
    "dvrlab:knownHostsFile": LAB_KNOWN_HOSTS,
};
export const labConfig = labProviderConfig;

/** ssh(1) arguments that reach a lab host as the provider does (the lab's key, host keys pinned). */
export const sshArgs = (ip: string) => [
    "-F",
    "/dev/null",
    "-i",
    LAB_KEY,
    "-o",
    `UserKnownHostsFile=${LAB_KNOWN_HOSTS}`,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    `root@${ip}`,
];

export interface ShResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a shell command line on a lab host; throws with its stderr unless it exits 0. */
export function onHost(host: string, cmd: string, input?: string): string {
    return execFileSync("ssh", [...sshArgs(host), cmd], { encoding: "utf8", input, maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"] });
}

/** Like onHost, but returns the exit code and output instead of throwing. */
export function tryOnHost(host: string, cmd: string): ShResult {
    const r = spawnSync("ssh", [...sshArgs(host), cmd], { encoding: "utf8", maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs a shell script on a lab host with arguments ($1 …), never interpolated into the script. */
export function hostSh(ip: string, script: string, ...args: string[]): ShResult {
    return hostShInput(ip, undefined, script, ...args);
}

/** hostSh with `input` on the script's stdin. */
export function hostShInput(ip: string, input: string | undefined, script: string, ...args: string[]): ShResult {
    const r = spawnSync("ssh", [...sshArgs(ip), shellJoin(["sh", "-c", script, "sh", ...args])], { encoding: "utf8", input, maxBuffer: 64 << 20 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Like hostSh, but throws with the output unless the script exits 0. */
export function hostCheck(ip: string, script: string, ...args: string[]): string {
    const r = hostSh(ip, script, ...args);
    if (r.code !== 0) throw new Error(`on ${ip}: ${script} ${JSON.stringify(args)} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
}

/** A netdev bridge for a test (the lab has no kernel datapath); name ≤ 15 chars, prefix dvrlt. */
export function addTestBridge(host: string, name: string, protocols?: string): void {
    if (!/^dvrlt[A-Za-z0-9-]{1,10}$/.test(name)) throw new Error(`test bridge names start with dvrlt and fit IFNAMSIZ: ${name}`);
    onHost(
        host,
        `ovs-vsctl --may-exist add-br ${name} -- set Bridge ${name} datapath_type=netdev fail_mode=secure${protocols ? ` protocols=${protocols}` : ""}`,
    );
}

export function delTestBridge(host: string, name: string): void {
    tryOnHost(host, `ovs-vsctl --if-exists del-br ${name}`);
}

function upload(ip: string, local: string, remote: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const p = spawn("ssh", [...sshArgs(ip), shellJoin(["sh", "-c", 'cat >"$1"', "sh", remote])], { stdio: [fs.openSync(local, "r"), "ignore", "pipe"] });
        let err = "";
        p.stderr!.on("data", (d) => (err += d));
        p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`upload of ${local} to ${ip}:${remote} failed (${code}): ${err}`))));
    });
}

export interface HostGuest {
    manifest: GuestManifest;
    kernel: string;
    initrd: string;
    base: string;
    cmdline: string;
    memoryMiB: number;
}

/**
 * The lab guest's files on a host (each lab host has its own /var/lib/dvrlab): built here (cached),
 * uploaded once per image version, under /var/lib/dvrlab/images/<version>/ — read-only bases that
 * domains' overlays point at, left for the lab's lifetime (lab down removes them).
 */
export async function guestOnHost(ip: string): Promise<HostGuest> {
    const { manifest } = await buildGuestImage();
    const dir = `/var/lib/dvrlab/images/${manifest.version}`;
    const files = { kernel: manifest.kernel, initrd: manifest.initrd, base: manifest.baseImage };
    const remote = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, `${dir}/${path.basename(f)}`])) as typeof files;
    if (hostSh(ip, 'test -f "$1/complete"', dir).code !== 0) {
        const tmp = `${dir}.tmp${process.pid}`;
        hostCheck(ip, 'rm -rf "$1" && mkdir -p "$1"', tmp);
        await Promise.all(Object.values(files).map((f) => upload(ip, f, `${tmp}/${path.basename(f)}`)));
        // another test may have finished the same upload meanwhile: keep whichever came first; an
        // empty directory (a destroyed stack's HostFiles leave theirs) is no upload: replace it
        hostCheck(
            ip,
            'chmod 0444 "$1"/*; touch "$1/complete"; if [ -d "$2" ] && [ -z "$(ls -A "$2")" ]; then rmdir "$2"; fi; if [ -e "$2" ]; then rm -rf "$1"; else mv "$1" "$2"; fi',
            tmp,
            dir,
        );
    }
    return { manifest, ...remote, cmdline: manifest.cmdline, memoryMiB: manifest.minMemoryMiB };
}

/** An SSH connection to a lab host for the guest channel (streamlocal forwarding to the socket), host key pinned. */
export async function labSsh(ip: string): Promise<NodeSSH> {
    const entries = parseKnownHosts(fs.readFileSync(LAB_KNOWN_HOSTS, "utf8"));
    const ssh = new NodeSSH();
    await ssh.connect({
        host: ip,
        username: "root",
        privateKey: fs.readFileSync(LAB_KEY, "utf8"),
        hostVerifier: (key: Buffer) => verifyHostKey(entries, ip, 22, key) === undefined,
        readyTimeout: 10_000,
    } as any);
    return ssh;
}

export function guestSocket(ssh: NodeSSH, socketPath: string, label: string): GuestSocket {
    return sshSocket(ssh.connection!, socketPath, label);
}

/** Bounded poll. */
export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined, everyMs = 100): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/** In a `before`: skip the suite, saying why, unless the lab is up. */
export function requireLab(ctx: Mocha.Context): void {
    if (labIsUp) return;
    console.log(`      skipped: ${LAB_NOT_UP}`);
    ctx.skip();
}
