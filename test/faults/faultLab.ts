// Shared by the fault tests: a private lab (its own underlay, prefix, directory) next to the main
// one, a small DVR stack on it driven by the real pulumi CLI, fault injection inside a host
// (through nsenter: works while the host's sshd is dead), verify() in-process, and leftovers().
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../../provider/core/config";
import { outputsSchema, StackOutputs } from "../../provider/verify/plan";
import { CheckResult, verify } from "../../provider/verify/run";
import { repoRoot, TestStack } from "../helpers/pulumi";

const yaml = require("js-yaml");
const LAB_SH = path.join(repoRoot, "lab/lab.sh");
const HOSTEXEC = path.join(repoRoot, "lab/hostexec.sh");

export const FAULT_ID = process.pid % 10000;

/**
 * The underlay and prefix a fault lab may use: 172.30.127 / dvrl4- unless a live process (another
 * test run: `npm test` runs these files too) has claimed it, then the next free one. Two labs with
 * one prefix would tear each other down (lab.sh up rebuilds a host whose namespaces it did not make).
 * A claim is a directory .lab/faults-net-<octet> holding the claimer's pid.
 */
function claimNetwork(): { underlay: string; prefix: string; claim: string } {
    if (process.env.DVRLAB_FAULTS_UNDERLAY)
        return { underlay: process.env.DVRLAB_FAULTS_UNDERLAY, prefix: process.env.DVRLAB_FAULTS_PREFIX ?? "dvrl4-", claim: "" };
    const used = spawnSync("ip", ["-br", "addr"], { encoding: "utf8" }).stdout;
    for (const octet of [127, ...Array.from({ length: 20 }, (_, i) => 140 + i)]) {
        const underlay = `172.30.${octet}`;
        const prefix = octet === 127 ? "dvrl4-" : `dvrf${octet}-`;
        const claim = path.join(repoRoot, ".lab", `faults-net-${octet}`);
        fs.mkdirSync(path.dirname(claim), { recursive: true });
        let fresh = false;
        try {
            fs.mkdirSync(claim);
            fresh = true;
        } catch {
            let owner = 0;
            try {
                owner = Number(fs.readFileSync(path.join(claim, "pid"), "utf8").trim());
                if (owner !== process.pid) process.kill(owner, 0); // throws when the claimer is gone
                if (owner !== process.pid) continue; // a live claimer
            } catch {
                if (!owner) continue; // being claimed right now (no pid yet)
                /* a dead claimer: take it over */
            }
        }
        if (fresh && used.includes(` ${underlay}.1/24`)) {
            fs.rmSync(claim, { recursive: true, force: true }); // a lab that is not a fault lab's
            continue;
        }
        fs.writeFileSync(path.join(claim, "pid"), String(process.pid));
        return { underlay, prefix, claim };
    }
    throw new Error("no free underlay for a fault lab (172.30.127, 172.30.140-159 all claimed)");
}

/** The private lab: one per test process (the fault files run one after another and each brings it up and down). */
export class FaultLab {
    readonly dir = path.join(repoRoot, ".lab", `faults-${FAULT_ID}`);
    underlay = "";
    env: NodeJS.ProcessEnv = {};
    private claim = "";
    readonly hosts = ["server-233", "server-64", "server-68"];
    readonly key = path.join(this.dir, "ssh/id_ed25519");
    readonly knownHosts = path.join(this.dir, "known_hosts");

    ip(host: string): string {
        return `${this.underlay}.${host.split("-")[1]}`;
    }

    lab(...args: string[]): string {
        const r = spawnSync("bash", [LAB_SH, ...args], { env: this.env, encoding: "utf8", timeout: 180_000 });
        if (r.status !== 0) throw new Error(`lab.sh ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
        return r.stdout;
    }

    /** `options`: lab.sh up's options (lab/README.md "Options"), e.g. ["--forward-drop=server-64"]. */
    up(options: string[] = []): void {
        const net = claimNetwork();
        this.underlay = net.underlay;
        this.claim = net.claim;
        this.env = { ...process.env, DVRLAB_LAB_DIR: this.dir, DVRLAB_UNDERLAY: net.underlay, DVRLAB_PREFIX: net.prefix };
        this.lab("up", ...options);
        // verify() and the provider read the key and known_hosts through the provider's config
        setConfigSource({ get: (k) => ({ "dvrlab:sshPrivateKeyFile": this.key, "dvrlab:knownHostsFile": this.knownHosts })[k] });
    }

    down(): void {
        if (!this.claim && !this.underlay) return; // never up
        try {
            if (fs.existsSync(this.dir)) this.lab("down");
            fs.rmSync(this.dir, { recursive: true, force: true });
        } finally {
            if (this.claim) fs.rmSync(this.claim, { recursive: true, force: true });
            this.claim = "";
        }
    }

    /** A shell script inside a host (nsenter, no SSH), arguments as $1… (never interpolated). */
    sh(host: string, script: string, ...args: string[]): string {
        const r = spawnSync("bash", [HOSTEXEC, host, "sh", "-c", script, "sh", ...args], { env: this.env, encoding: "utf8", timeout: 60_000 });
        if (r.status !== 0) throw new Error(`in ${host}: ${script} exited ${r.status}: ${r.stderr}${r.stdout}`);
        return r.stdout;
    }

    /** Pids of the processes of a host (by its UTS namespace: `ps` is shared by all labs) whose command name is `comm`. */
    pids(host: string, comm: string): number[] {
        const uts = fs.statSync(path.join(this.dir, "ns", `${host}.uts`)).ino;
        const out: number[] = [];
        for (const p of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(p)) continue;
            try {
                if (fs.statSync(`/proc/${p}/ns/uts`).ino !== uts) continue;
                if (fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() === comm.slice(0, 15)) out.push(Number(p)); // comm is cut to 15
            } catch {
                /* gone */
            }
        }
        return out;
    }

    /** SIGKILLs a host's processes named `comm`; returns how many. */
    kill(host: string, comm: string): number {
        const pids = this.pids(host, comm);
        for (const p of pids) {
            try {
                process.kill(p, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        return pids.length;
    }

    /** Every object a DVR stack makes, per host, one line each (empty: nothing of ours is left). */
    leftovers(hosts = this.hosts): string {
        return hosts
            .map((h) =>
                this.sh(
                    h,
                    [
                        'ovs-vsctl list-br | grep -vx br-phy | sed "s/^/bridge /"',
                        'for d in /sys/class/net/*; do case "${d##*/}" in qbr-*|qvb-*|qvo-*|tap-*|qr-*) echo "link ${d##*/}";; esac; done',
                        'virsh -q -c qemu:///system list --all --name | sed "/^$/d; s/^/domain /"',
                        'ip netns list | sed "s/^/netns /"',
                        'iptables -S | grep dvrl | sed "s/^/iptables /"',
                        'ls /var/lib/dvrlab/dhcp 2>/dev/null | sed "s/^/dhcp-dir /"',
                        // guest images and disks, and any temp file an upload cut off left next to them
                        'find /var/lib/dvrlab/images /var/lib/libvirt/images -type f 2>/dev/null | sed "s/^/file /"',
                        "true",
                    ].join("; "),
                )
                    .trim()
                    .split("\n")
                    .filter(Boolean)
                    .map((l) => `${h}: ${l}`)
                    .join("\n"),
            )
            .concat(this.hosts.flatMap((h) => ["qemu-system-x86_64", "dnsmasq"].flatMap((c) => this.pids(h, c).map((p) => `${h}: process ${c} ${p}`))))
            .filter(Boolean)
            .join("\n");
    }
}

/** The fault tests' DVR topology: two hosts, one network, a VM on each (DHCP and pings cross the tunnel). */
export function smallTopology(lab: FaultLab, prefix: string): any {
    return {
        domainPrefix: prefix,
        hosts: [
            { name: "server-233", address: lab.ip("server-233"), role: "network" },
            { name: "server-64", address: lab.ip("server-64") },
        ],
        networks: [{ name: "net1", cidr: "192.168.10.0/24", vni: "0x813", vlan: 1 }],
        securityGroups: { icmp: { ingress: [{ protocol: "icmp" }] } },
        vms: [
            { id: "va", host: "server-64", network: "net1", mac: "fa:16:3e:f0:00:64", ip: "192.168.10.64", securityGroup: "icmp" },
            { id: "vb", host: "server-233", network: "net1", mac: "fa:16:3e:f0:02:33", ip: "192.168.10.233", securityGroup: "icmp" },
        ],
    };
}

/** A pulumi run in the background, its output watched as it comes (for faults injected half-way). */
export class Background {
    readonly child: ChildProcess;
    out = "";
    /** Each output line with the time it arrived (ms). */
    readonly lines: { t: number; line: string }[] = [];
    private partial = "";
    readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
    private waiters: { test: (out: string) => boolean; res: () => void }[] = [];

    /** The run's PULUMI_HOME: every process of the run (CLI, language host, providers) has it in its environment. */
    private readonly home: string;

    constructor(stack: TestStack, args: string[]) {
        this.home = stack.env.PULUMI_HOME!;
        // its own process group: a terminal's Ctrl-C reaches the CLI and its plugins alike
        this.child = spawn("pulumi", [...args, "--stack", stack.stack, "--non-interactive", "--color", "never"], {
            cwd: stack.projectDir,
            env: stack.env,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        const take = (d: Buffer) => {
            this.out += d.toString();
            const parts = (this.partial + d.toString()).split("\n");
            this.partial = parts.pop()!;
            for (const line of parts) this.lines.push({ t: Date.now(), line });
            this.waiters = this.waiters.filter((w) => (w.test(this.out) ? (w.res(), false) : true));
        };
        this.child.stdout!.on("data", take);
        this.child.stderr!.on("data", take);
        this.done = new Promise((res) => this.child.on("close", (code, signal) => res({ code, signal, out: this.out })));
    }

    /** Resolves when the output so far matches `re` (or satisfies a predicate). */
    waitFor(re: RegExp | ((out: string) => boolean), ms: number): Promise<void> {
        const test = typeof re === "function" ? re : (out: string) => re.test(out);
        if (test(this.out)) return Promise.resolve();
        return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${re} in:\n${this.out}`)), ms);
            this.waiters.push({ test, res: () => (clearTimeout(t), res()) });
        });
    }

    /**
     * The operations on resources of `type` as they ran: their time windows, and the most that were
     * in flight at once (from the CLI's "creating"/"created" … lines, in order).
     */
    operations(type: string): { start: number; end: number; maxInFlight: number; count: number } {
        const re = new RegExp(`${type}\\s+(\\S+)\\s+(creat|updat|delet)(ing|ed)\\b`);
        const started = new Set<string>();
        const ended = new Set<string>();
        let start = Infinity,
            end = 0,
            max = 0;
        for (const { t, line } of this.lines) {
            const m = line.match(re);
            if (!m) continue;
            const key = `${m[1]} ${m[2]}`;
            if (m[3] === "ing" && !started.has(key)) {
                started.add(key);
                start = Math.min(start, t);
            } else if (m[3] === "ed" && !ended.has(key)) {
                ended.add(key);
                end = Math.max(end, t);
            }
            max = Math.max(max, started.size - ended.size);
        }
        return { start, end, maxInFlight: max, count: ended.size };
    }

    /** A signal to the whole group (what Ctrl-C in a terminal does). */
    signalGroup(sig: NodeJS.Signals): void {
        try {
            process.kill(-this.child.pid!, sig);
        } catch {
            /* gone */
        }
    }

    /**
     * After the test: nothing of this run may outlive it. pulumi starts its plugins in process groups
     * of their own, so a SIGKILLed CLI leaves them running (parent 1): find them by the run's PULUMI_HOME.
     */
    reap(): void {
        this.signalGroup("SIGKILL");
        const mark = Buffer.from(`PULUMI_HOME=${this.home}\0`);
        for (const p of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
            try {
                if (fs.readFileSync(`/proc/${p}/environ`).includes(mark)) process.kill(Number(p), "SIGKILL");
            } catch {
                /* gone, or not ours to read */
            }
        }
    }
}

/** The DVR program (stacks/dvr) in a throwaway stack whose config points at the fault lab. */
export class DvrStack {
    readonly stack: TestStack;
    readonly work: string;
    readonly numbers: Record<string, string> = {};

    constructor(
        readonly lab: FaultLab,
        name: string,
        public topology: any,
    ) {
        this.work = fs.mkdtempSync(path.join(os.tmpdir(), `dvrl-${name}-`));
        this.stack = new TestStack(repoRoot, `${name}${FAULT_ID}`, this.work);
        this.stack.init();
        this.writeConfig();
    }

    get file(): string {
        return path.join(repoRoot, `Pulumi.${this.stack.stack}.yaml`);
    }

    writeConfig(): void {
        const doc = (fs.existsSync(this.file) && yaml.load(fs.readFileSync(this.file, "utf8"))) || {};
        doc.config = { "dvrlab:sshPrivateKeyFile": this.lab.key, "dvrlab:knownHostsFile": this.lab.knownHosts, "dvrlab:topology": this.topology };
        fs.writeFileSync(this.file, yaml.dump(doc));
    }

    run(what: string, args: string[], opts: { allowFail?: boolean } = {}) {
        const t0 = Date.now();
        const r = this.stack.run(args, { timeoutMs: 600_000, ...opts });
        this.numbers[what] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        return r;
    }

    background(args: string[]): Background {
        return new Background(this.stack, args);
    }

    /** Resources in the exported state: `<name>|<type>` → resource. */
    resources(): Map<string, any> {
        return new Map((this.stack.exportState().deployment.resources as any[]).map((r) => [`${r.urn.split("::").pop()}|${r.type}`, r]));
    }

    async verifyAll(what: string): Promise<CheckResult[]> {
        const outputs: StackOutputs = outputsSchema.parse(JSON.parse(this.stack.run(["stack", "output", "--json"]).stdout));
        const t0 = Date.now();
        const results = await verify(outputs, (c) => credentialsFor(c));
        this.numbers[what] = `${results.length} checks in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
        const failed = results.filter((r) => !r.pass);
        assert.equal(failed.length, 0, `verify failed:\n${failed.map((f) => [f.name, ...f.evidence, ...(f.trace ?? [])].join("\n  ")).join("\n")}`);
        for (const k of ["dhcp", "ping", "arp-spoof"])
            assert.ok(
                results.some((r) => r.kind === k),
                `no ${k} check ran`,
            );
        assert.ok(
            results.some((r) => r.name.includes("across the tunnel")),
            "a ping crossed the tunnel",
        );
        return results;
    }

    /** destroy if anything is left, then remove the stack, its config file and work dir. */
    cleanup(): void {
        const left = this.lab.leftovers();
        if (left) this.stack.run(["destroy", "--yes", "--skip-preview"], { allowFail: true, timeoutMs: 600_000 });
        this.stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(this.file, { force: true });
        fs.rmSync(this.work, { recursive: true, force: true });
    }
}

/** Lines of a pulumi output that say a resource already exists (what a non-idempotent create would say). */
export function alreadyExists(out: string): string[] {
    return out.split("\n").filter((l) => /already exists|File exists|exists and belongs to|already leased/i.test(l));
}
