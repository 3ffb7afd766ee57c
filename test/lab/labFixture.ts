// Shared by the lab's own tests (lab.test.ts, options.test.ts): a lab by directory, underlay and
// prefix, lab.sh run against it, its status, SSH into its hosts, its processes, and everything of
// it still on the machine after `down`.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");
export const LAB_SH = path.join(REPO, "lab", "lab.sh");
export const HOSTEXEC = path.join(REPO, "lab", "hostexec.sh");
export const HOST_NAMES = ["server-233", "server-64", "server-68"] as const;
export type HostName = (typeof HOST_NAMES)[number];

export interface Lab {
    dir: string;
    underlay: string;
    prefix: string;
    env: NodeJS.ProcessEnv;
    ip: Record<HostName, string>;
}

export function labOf(dir: string, underlay: string, prefix: string): Lab {
    const ip = Object.fromEntries(HOST_NAMES.map((h) => [h, `${underlay}.${h.split("-")[1]}`])) as Record<HostName, string>;
    // DVRLAB_LAB_OPTIONS would add options to every `up`: a test says its options itself.
    const env: NodeJS.ProcessEnv = { ...process.env, DVRLAB_LAB_DIR: dir, DVRLAB_UNDERLAY: underlay, DVRLAB_PREFIX: prefix };
    delete env.DVRLAB_LAB_OPTIONS;
    return { dir, underlay, prefix, ip, env };
}

export interface Run {
    code: number;
    stdout: string;
    stderr: string;
    ms: number;
}

export function labSh(lab: Lab, ...args: string[]): Run {
    const t0 = Date.now();
    const r = spawnSync("bash", [LAB_SH, ...args], { env: lab.env, encoding: "utf8", timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: Date.now() - t0 };
}

export function mustLabSh(lab: Lab, ...args: string[]): Run {
    const r = labSh(lab, ...args);
    assert.strictEqual(r.code, 0, `lab.sh ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r;
}

/** A command inside a host through nsenter (no SSH), as root. */
export function hostExec(lab: Lab, host: HostName, ...argv: string[]): Run {
    const t0 = Date.now();
    const r = spawnSync("bash", [HOSTEXEC, host, ...argv], { env: lab.env, encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: Date.now() - t0 };
}

export interface HostStatus {
    host: string;
    healthy: boolean;
    daemons: Record<string, number | null>;
    bridges: { name: string; datapath: string; ports: string[]; flows: number | null }[];
    domains: { name: string; state: string }[];
    options?: Record<string, unknown>;
}

export interface BastionStatus {
    ip: string;
    netns: string;
    user: string;
    healthy: boolean;
    daemons: { sshd: number | null };
}

export function status(lab: Lab): { healthy: boolean; hosts: Record<string, HostStatus>; bastion?: BastionStatus } {
    const r = labSh(lab, "status", "--json");
    const parsed = JSON.parse(r.stdout) as { hosts: HostStatus[]; bastion?: BastionStatus };
    const hosts = Object.fromEntries(parsed.hosts.map((h) => [h.host, h]));
    return { healthy: r.code === 0, hosts, bastion: parsed.bastion };
}

export function sshArgs(lab: Lab, host: HostName, opts: { user?: string; knownHosts?: string } = {}): string[] {
    return [
        "-F",
        "/dev/null",
        "-o",
        `UserKnownHostsFile=${opts.knownHosts ?? path.join(lab.dir, "known_hosts")}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "-i",
        path.join(lab.dir, "ssh", "id_ed25519"),
        `${opts.user ?? "root"}@${lab.ip[host]}`,
    ];
}

export function trySsh(lab: Lab, host: HostName, cmd: string, user?: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("ssh", [...sshArgs(lab, host, { user }), cmd], { encoding: "utf8", timeout: 30_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function ssh(lab: Lab, host: HostName, cmd: string, user?: string): string {
    const r = trySsh(lab, host, cmd, user);
    assert.strictEqual(r.code, 0, `on ${host}${user ? ` as ${user}` : ""}: ${cmd}\nexit ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
}

export const lines = (s: string) =>
    s
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);

/** The lab's namespaces: its three hosts and the bastion (--bastion). */
const NS_OWNERS = [...HOST_NAMES, "bastion"];

/** Namespace ids ("uts:[4026532301]") of a lab's hosts and bastion, from its namespace files. */
function nsIds(lab: Lab): Set<string> {
    const ids = new Set<string>();
    for (const h of NS_OWNERS) {
        for (const [kind, file] of [
            ["mnt", path.join(lab.dir, "ns", `${h}.mnt`)],
            ["uts", path.join(lab.dir, "ns", `${h}.uts`)],
            ["net", `/run/netns/${lab.prefix}${h}`],
        ]) {
            try {
                ids.add(`${kind}:[${fs.statSync(file).ino}]`);
            } catch {
                /* not there */
            }
        }
    }
    return ids;
}

/** Every live process in one of the lab's namespaces. */
export function labPids(lab: Lab): number[] {
    const ids = nsIds(lab);
    const pids: number[] = [];
    for (const p of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(p)) continue;
        for (const kind of ["mnt", "uts", "net"]) {
            try {
                if (ids.has(fs.readlinkSync(`/proc/${p}/ns/${kind}`))) {
                    pids.push(Number(p));
                    break;
                }
            } catch {
                /* gone, or a zombie */
            }
        }
    }
    return pids;
}

export function liveNonZombie(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

/** Everything of a lab still on the machine: netns, links, mounts, processes, run-time files. */
export function leftovers(lab: Lab, pidsBefore: number[]): string[] {
    const ours = (name: string) =>
        name === `${lab.prefix}ul0` ||
        name === `${lab.prefix}bastion` ||
        name === `${lab.prefix}u2` ||
        HOST_NAMES.some((h) => name === `${lab.prefix}${h}` || name === `${lab.prefix}u${h.split("-")[1]}`);
    const found: string[] = [];
    for (const ns of lines(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }))) {
        if (ours(ns.split(" ")[0])) found.push(`netns ${ns}`);
    }
    for (const l of lines(execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }))) {
        const name = l.split(": ")[1].split("@")[0];
        if (ours(name)) found.push(`link ${name}`);
    }
    for (const m of lines(execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" }))) {
        if (m === lab.dir || m.startsWith(lab.dir + "/") || ours(path.basename(m))) found.push(`mount ${m}`);
    }
    for (const pid of pidsBefore) if (liveNonZombie(pid)) found.push(`process ${pid}`);
    for (const l of lines(execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }))) {
        if (l.includes(path.join(lab.dir, "hosts") + "/")) found.push(`process ${l}`); // sshd -f …/hosts/H/sshd_config
    }
    const files = ["ns", "lock", "created", ...NS_OWNERS.flatMap((h) => [`hosts/${h}/fs`, `hosts/${h}/sshd_config`, `hosts/${h}/options.json`])];
    for (const f of files) {
        if (fs.existsSync(path.join(lab.dir, f))) found.push(`file ${path.join(lab.dir, f)}`);
    }
    return found;
}

/** Zombies of killed daemons are reaped by init a moment later: poll (bounded). */
export async function waitNothingLeft(lab: Lab, pidsBefore: number[]): Promise<void> {
    let left: string[] = [];
    for (const deadline = Date.now() + 3000; Date.now() < deadline;) {
        left = leftovers(lab, pidsBefore);
        if (left.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepStrictEqual(left, [], "lab.sh down left things behind");
}
