// Out-of-band commands on a lab host (what a human would type), over the lab's key, for tests and
// benchmarks that change a host behind the provider's back or check what it did.
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { repoRoot } from "./pulumi";

export const LAB_HOSTS = { "server-233": "172.30.124.233", "server-64": "172.30.124.64", "server-68": "172.30.124.68" } as const;
export const labKey = path.join(repoRoot, ".lab/ssh/id_ed25519");
export const labKnownHosts = path.join(repoRoot, ".lab/known_hosts");

/** Whether tests may use the lab (npm test sets DVRLAB_LAB_UP=1 after `lab:up`). */
export const labUp = process.env.DVRLAB_LAB_UP === "1";
export const LAB_SKIP_REASON = "the lab is not up: run `npm run lab:up` and set DVRLAB_LAB_UP=1 (npm test does both)";

/** Provider config that reaches the lab. */
export const labConfig: Record<string, string> = {
    "dvrlab:sshPrivateKeyFile": labKey,
    "dvrlab:knownHostsFile": labKnownHosts,
};

const sshArgs = (host: string) => ["-F", "/dev/null", "-i", labKey, "-o", `UserKnownHostsFile=${labKnownHosts}`, "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", `root@${host}`];

/** Runs a shell command on a lab host; throws with its stderr unless it exits 0. */
export function onHost(host: string, cmd: string, input?: string): string {
    return execFileSync("ssh", [...sshArgs(host), cmd], { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024, stdio: ["pipe", "pipe", "pipe"] });
}

/** Like onHost, but returns the exit code and output instead of throwing. */
export function tryOnHost(host: string, cmd: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync("ssh", [...sshArgs(host), cmd], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A netdev bridge for a test (the lab has no kernel datapath); name ≤ 15 chars, prefix dvrlt. */
export function addTestBridge(host: string, name: string, protocols?: string): void {
    if (!/^dvrlt[A-Za-z0-9-]{1,10}$/.test(name)) throw new Error(`test bridge names start with dvrlt and fit IFNAMSIZ: ${name}`);
    onHost(host, `ovs-vsctl --may-exist add-br ${name} -- set Bridge ${name} datapath_type=netdev fail_mode=secure${protocols ? ` protocols=${protocols}` : ""}`);
}

export function delTestBridge(host: string, name: string): void {
    tryOnHost(host, `ovs-vsctl --if-exists del-br ${name}`);
}
