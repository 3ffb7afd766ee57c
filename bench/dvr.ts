// bench/dvr: the seed's full L2 lab (three hosts, br-int/br-tun, VXLAN mesh, DHCP agent, and per VM
// attachment qbr + qvb/qvo + security group + anti-spoofing flows + a lease) for N attachments, with
// a network namespace per "VM" instead of a guest (no boot time), built three ways on a private lab:
//   1. dvrlab: the stack's components (bench/projects/dvr, bench:mode dvrlab) through the real
//      pulumi CLI: cold up, no-op preview, refresh, destroy;
//   2. the seed's hand commands as one bash script per host over one SSH connection per host
//      (hosts in parallel): build, read back everything (the floor of preview/refresh), teardown;
//   3. one emulated remote.Command per hand command (bench/dvr/remoteCommand.ts: a new SSH
//      connection per resource, as @pulumi/command's provider does; its plugin cannot be built
//      here), chained per VM by dependsOn: cold up.
// After each build the end state is read back on every host and compared with the bash build's.
// Ratios come from one run: the baselines run in the same process, just before.
//
//   npm run bench                                          (brings its own lab up and down)
//   BENCH_DVR_N=5,20,50 BENCH_DVR_COMMANDS_N=5,20/nocp BENCH_DVR_PARALLEL=8 npm run bench
//   BENCH_DVR_VMS=3 npm run bench      (also: cold up with 3 libvirt guests, dvrlab vs bash)
//   BENCH_DVR_MODES=cp,nocp            (cp: pulumi's default checkpoints; nocp: PULUMI_SKIP_CHECKPOINTS=true)
//   BENCH_DVR_CPUPROF=<dir>            (a V8 CPU profile of every node process of each pulumi run, by bench/dvr/hook.js)
//
// Prints a table of times and ratios plus SSH counters (connections, commands per host, from
// bench/dvr/hook.js); writes .cache/bench/dvr-<time>.json.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { benchTopology, Chain, handChains, hostScripts, HOSTS, READ_BACK, teardownScripts, wipeScripts } from "./dvr/plan";
import { repoRoot, TestStack } from "../test/helpers/pulumi";

const yaml = require("js-yaml");
const NS = (process.env.BENCH_DVR_N ?? "5,20,50").split(",").map(Number);
/** N values for the remote.Command emulation, each optionally for one mode only: "5,20/nocp". */
const COMMANDS_N = (process.env.BENCH_DVR_COMMANDS_N ?? "5,20/nocp").split(",").filter(Boolean);
const commandsFor = (n: number, mode: string) => COMMANDS_N.some((c) => c === String(n) || c === `${n}/${mode}`);
const PARALLEL = process.env.BENCH_DVR_PARALLEL;
/** cp: pulumi's default (the state saved after every step); nocp: PULUMI_SKIP_CHECKPOINTS=true. */
const MODES = (process.env.BENCH_DVR_MODES ?? "cp,nocp").split(",").filter(Boolean) as ("cp" | "nocp")[];
const VMS = Number(process.env.BENCH_DVR_VMS ?? 0);
const CPUPROF = process.env.BENCH_DVR_CPUPROF;
const KEEP_LAB = process.env.BENCH_DVR_KEEP_LAB === "1";

const LAB_SH = path.join(repoRoot, "lab/lab.sh");
const labDir = process.env.DVRLAB_LAB_DIR ?? path.join(repoRoot, ".lab", `bench-${process.pid}`);
const underlay = process.env.DVRLAB_UNDERLAY ?? "172.30.128";
const labEnv = { ...process.env, DVRLAB_LAB_DIR: labDir, DVRLAB_UNDERLAY: underlay, DVRLAB_PREFIX: process.env.DVRLAB_PREFIX ?? "dvrl5-" };
const key = path.join(labDir, "ssh/id_ed25519");
const knownHosts = path.join(labDir, "known_hosts");
const ipOf = (h: string) => `${underlay}.${h.split("-")[1]}`;
const STACK = `bench${process.pid % 100000}`;
const projectDir = path.join(repoRoot, "bench/projects/dvr");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-bench-dvr-"));
const sshArgs = (h: string) => [
    "-F",
    "/dev/null",
    "-i",
    key,
    "-o",
    `UserKnownHostsFile=${knownHosts}`,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    `root@${ipOf(h)}`,
];

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

function lab(...args: string[]): void {
    const r = spawnSync("bash", [LAB_SH, ...args], { env: labEnv, encoding: "utf8", timeout: 180_000 });
    if (r.status !== 0) throw new Error(`lab.sh ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
}

/** One script per host, each over its own single SSH connection, hosts in parallel; wall seconds. */
async function onHosts(scripts: Map<string, string>, opts: { allowFail?: boolean } = {}): Promise<{ s: number; out: Map<string, string> }> {
    const t0 = process.hrtime.bigint();
    const out = new Map<string, string>();
    await Promise.all(
        [...scripts].map(
            ([h, script]) =>
                new Promise<void>((res, rej) => {
                    const p = spawn("ssh", [...sshArgs(h), "bash", "-s"], { stdio: ["pipe", "pipe", "pipe"] });
                    let so = "";
                    let se = "";
                    p.stdout.on("data", (d) => (so += d));
                    p.stderr.on("data", (d) => (se += d));
                    p.on("close", (code) => {
                        out.set(h, so);
                        if (code !== 0 && !opts.allowFail) rej(new Error(`script on ${h} exited ${code}: ${se.slice(-2000)}`));
                        else res();
                    });
                    p.stdin.end(script);
                }),
        ),
    );
    return { s: seconds(t0), out };
}

const readBack = async () => (await onHosts(new Map(HOSTS.map((h) => [h, READ_BACK])))).out;

/** Nothing of either build left: every read-back section empty. */
function isEmpty(rb: Map<string, string>): string {
    const left: string[] = [];
    for (const [h, t] of rb) for (const l of t.split("\n")) if (l.trim() && !l.startsWith("@@")) left.push(`${h}: ${l}`);
    return left.slice(0, 10).join("\n");
}

/**
 * A flow line with its tunnel outputs in name order: flows name ports (--names), and the OpenFlow
 * numbers OVS gives the two VXLAN ports depend on which add-port came first (the stack adds them
 * in parallel), so the flood flow may list the same ports in the other order.
 */
const canonical = (l: string) => l.replace(/output:"?vxlan-[0-9a-f]+"?(?:,output:"?vxlan-[0-9a-f]+"?)+/g, (m) => m.split(",").sort().join(","));

/** Lines in one read-back and not the other, per host (first few). */
function compare(a: Map<string, string>, b: Map<string, string>): string {
    const diffs: string[] = [];
    for (const h of HOSTS) {
        const sa = new Set((a.get(h) ?? "").split("\n").map(canonical));
        const sb = new Set((b.get(h) ?? "").split("\n").map(canonical));
        for (const l of sa) if (!sb.has(l)) diffs.push(`${h} hand only: ${l}`);
        for (const l of sb) if (!sa.has(l)) diffs.push(`${h} this only: ${l}`);
    }
    return diffs.slice(0, 30).join("\n");
}

/** The guests talk: v2 (server-64) pings v1 (server-233, across VXLAN) and, with ≥5, v5 (same host). */
function pings(n: number): string {
    const t = (from: string, ip: string) =>
        spawnSync("ssh", [...sshArgs(from), `for i in 1 2 3; do ip netns exec vm-v2 ping -c 1 -W 2 ${ip} >/dev/null && exit 0; done; exit 1`]).status === 0
            ? "ok"
            : "FAIL";
    const r = [`tunnel ${t("server-64", "192.168.10.10")}`];
    if (n >= 5) r.push(`same-host ${t("server-64", "192.168.10.14")}`);
    return r.join(", ");
}

interface Row {
    n: number;
    what: string;
    s: number;
    note?: string;
    ssh?: SshStats;
    resources?: number;
}
interface SshStats {
    processes: number;
    connects: number;
    commands: number;
    perHost: Record<string, { connects: number; commands: number; maxConcurrent: number }>;
    busyMs: number;
    progs: Record<string, { n: number; ms: number }>;
}
const rows: Row[] = [];
const NOCP_TAG = "[no checkpoints]";

function sshStats(dir: string): SshStats {
    const s: SshStats = { processes: 0, connects: 0, commands: 0, perHost: {}, busyMs: 0, progs: {} };
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (!f.startsWith("ssh.")) continue;
        const j = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
        if (!Object.keys(j.hosts).length) continue;
        s.processes++;
        s.busyMs += j.busyMs;
        for (const [h, x] of Object.entries<any>(j.hosts)) {
            const p = (s.perHost[h] ??= { connects: 0, commands: 0, maxConcurrent: 0 });
            p.connects += x.connects;
            p.commands += x.commands;
            p.maxConcurrent = Math.max(p.maxConcurrent, x.maxConcurrent);
            s.connects += x.connects;
            s.commands += x.commands;
        }
        for (const [k, v] of Object.entries<any>(j.progs)) {
            const p = (s.progs[k] ??= { n: 0, ms: 0 });
            p.n += v.n;
            p.ms += v.ms;
        }
    }
    return s;
}

class BenchStack {
    stack: TestStack;
    file: string;
    constructor(
        readonly dir: string,
        nocp = false,
    ) {
        fs.rmSync(path.join(projectDir, `Pulumi.${STACK}.yaml`), { force: true });
        this.stack = new TestStack(projectDir, STACK, dir);
        this.file = path.join(projectDir, `Pulumi.${STACK}.yaml`);
        this.stack.init();
        if (nocp) (this.stack.env as any).PULUMI_SKIP_CHECKPOINTS = "true";
    }
    config(cfg: Record<string, unknown>): void {
        const doc = yaml.load(fs.readFileSync(this.file, "utf8")) ?? {};
        doc.config = { "dvrlab:sshPrivateKeyFile": key, "dvrlab:knownHostsFile": knownHosts, ...cfg };
        fs.writeFileSync(this.file, yaml.dump(doc));
    }
    /** A timed pulumi command with the SSH hook (and optionally --cpu-prof) in every node process. */
    run(tag: string, args: string[]): { s: number; ssh: SshStats; stdout: string } {
        const statsDir = path.join(this.dir, `stats-${tag}`);
        fs.mkdirSync(statsDir, { recursive: true });
        const env = this.stack.env as any;
        env.DVRLAB_BENCH_STATS = statsDir;
        env.NODE_OPTIONS = `--require ${path.join(repoRoot, "bench/dvr/hook.js")}`;
        if (CPUPROF) env.DVRLAB_BENCH_CPUPROF = path.join(CPUPROF, tag);
        const t0 = process.hrtime.bigint();
        const r = this.stack.run([...args, ...(PARALLEL ? ["--parallel", PARALLEL] : [])], { timeoutMs: 3_600_000 });
        const s = seconds(t0);
        delete env.NODE_OPTIONS;
        delete env.DVRLAB_BENCH_STATS;
        delete env.DVRLAB_BENCH_CPUPROF;
        return { s, ssh: sshStats(statsDir), stdout: r.stdout };
    }
    remove(): void {
        this.stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(this.file, { force: true });
    }
}

const created = (out: string) => Number([...out.matchAll(/(\d+) created/g)].pop()?.[1] ?? 0);

async function benchN(n: number): Promise<void> {
    const topology = benchTopology(underlay, n);
    const { plan, chains } = handChains(topology, STACK);
    const steps = chains.reduce((a, c) => a + c.steps.length, 0);
    const row = (what: string, s: number, extra: Partial<Row> = {}) => {
        rows.push({ n, what, s, ...extra });
        console.log(`  N=${n} ${what}: ${s.toFixed(2)} s${extra.note ? ` (${extra.note})` : ""}`);
    };
    if (isEmpty(await readBack())) await onHosts(wipeScripts(plan)); // what an interrupted run left
    if (isEmpty(await readBack())) throw new Error(`the lab is not bare before N=${n}:\n${isEmpty(await readBack())}`);

    // 2. The hand script.
    const up = await onHosts(hostScripts(chains));
    const hand = await readBack();
    row("bash: build (one script per host)", up.s, { note: `${steps} commands, ${pings(n)}` });
    const rb = await onHosts(new Map(HOSTS.map((h) => [h, READ_BACK])));
    row("bash: read back everything (preview/refresh floor)", rb.s);
    const down = await onHosts(teardownScripts(plan));
    row("bash: teardown", down.s);
    const left = isEmpty(await readBack());
    if (left) throw new Error(`bash teardown left:\n${left}`);

    for (const mode of MODES) await pulumiRuns(n, mode, topology, plan, chains, hand, row);
}

async function pulumiRuns(
    n: number,
    mode: "cp" | "nocp",
    topology: unknown,
    plan: ReturnType<typeof handChains>["plan"],
    chains: Chain[],
    hand: Map<string, string>,
    row0: (what: string, s: number, extra?: Partial<Row>) => void,
): Promise<void> {
    const nocp = mode === "nocp";
    const row = (what: string, s: number, extra: Partial<Row> = {}) => row0(nocp ? `${what} ${NOCP_TAG}` : what, s, extra);
    // 1. dvrlab through the real CLI.
    const st = new BenchStack(path.join(work, `dvrlab-${n}-${mode}`), nocp);
    try {
        st.config({ "dvrlab:topology": topology, "bench:mode": "dvrlab" });
        const u = st.run(`up-${n}-${mode}`, ["up", "--yes", "--skip-preview"]);
        const diff = compare(hand, await readBack());
        row("dvrlab: pulumi up (cold)", u.s, {
            ssh: u.ssh,
            resources: created(u.stdout),
            note: `${pings(n)}; end state ${diff ? "DIFFERS:\n" + diff : "= bash's"}`,
        });
        const p = st.run(`preview-${n}-${mode}`, ["preview", "--expect-no-changes"]);
        row("dvrlab: pulumi preview (no-op)", p.s, { ssh: p.ssh });
        const r = st.run(`refresh-${n}-${mode}`, ["refresh", "--yes", "--skip-preview", "--expect-no-changes"]);
        row("dvrlab: pulumi refresh", r.s, { ssh: r.ssh });
        const d = st.run(`destroy-${n}-${mode}`, ["destroy", "--yes", "--skip-preview"]);
        row("dvrlab: pulumi destroy", d.s, { ssh: d.ssh });
        const l = isEmpty(await readBack());
        if (l) throw new Error(`destroy left:\n${l}`);
    } finally {
        st.remove();
        if (isEmpty(await readBack())) await onHosts(wipeScripts(plan)); // after a failure
    }

    // 3. One emulated remote.Command per hand command.
    if (commandsFor(n, mode)) {
        const ct = new BenchStack(path.join(work, `commands-${n}-${mode}`), nocp);
        try {
            const stepsFile = path.join(work, `steps-${n}-${mode}.json`);
            fs.writeFileSync(stepsFile, JSON.stringify(chains satisfies Chain[]));
            ct.config({ "dvrlab:topology": topology, "bench:mode": "commands", "bench:steps": stepsFile, "bench:keyFile": key });
            const u = ct.run(`commands-up-${n}-${mode}`, ["up", "--yes", "--skip-preview"]);
            const diff = compare(hand, await readBack());
            row("remote.Command emulation: pulumi up (cold)", u.s, {
                ssh: u.ssh,
                resources: created(u.stdout),
                note: `${pings(n)}; end state ${diff ? "DIFFERS:\n" + diff : "= bash's"}`,
            });
        } finally {
            await onHosts(wipeScripts(plan));
            ct.remove();
        }
        const l = isEmpty(await readBack());
        if (l) throw new Error(`teardown after the remote.Command run left:\n${l}`);
    }
}

function report(): void {
    // the row of a measurement in one mode: [no checkpoints] rows are the nocp mode's
    const get = (n: number, prefix: string, nocp = false) => rows.find((r) => r.n === n && r.what.startsWith(prefix) && r.what.endsWith(NOCP_TAG) === nocp)?.s;
    console.log(
        `\nbench/dvr: the seed's L2 lab, N VM attachments (namespace guests), 3 hosts; ${os.cpus().length} cores shared with other work (load ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(" ")}): ratios are within this one run`,
    );
    console.log(
        `pulumi: ${PARALLEL ? `--parallel ${PARALLEL}` : "default --parallel"}; ${NOCP_TAG} = PULUMI_SKIP_CHECKPOINTS=true, else pulumi's default (state saved after every step)\n`,
    );
    console.log(
        `${"N".padStart(3)}  ${"what".padEnd(70)}${"s".padStart(8)}${"÷bash".padStart(8)}${"÷up".padStart(7)}  resources  ssh: connects/commands (max concurrent per host)`,
    );
    for (const r of rows) {
        const nocp = r.what.endsWith(NOCP_TAG);
        const bash = get(r.n, "bash: build");
        const up = get(r.n, "dvrlab: pulumi up", nocp);
        const isBase = r.what.startsWith("bash: ") || r.what.startsWith("VMs: bash");
        const vmBash = get(r.n, "VMs: bash");
        const ratioBash = r.what.startsWith("VMs")
            ? vmBash
                ? (r.s / vmBash).toFixed(2)
                : ""
            : bash && !r.what.startsWith("bash: ")
              ? (r.s / bash).toFixed(2)
              : r.what.startsWith("bash: build")
                ? "1.00"
                : "";
        const ratioUp = up && !isBase && !r.what.startsWith("VMs") ? (r.s / up).toFixed(2) : "";
        const ssh = r.ssh
            ? `${r.ssh.connects}/${r.ssh.commands} (${Object.values(r.ssh.perHost)
                  .map((p) => p.maxConcurrent)
                  .join(",")})`
            : "";
        console.log(
            `${String(r.n).padStart(3)}  ${r.what.padEnd(70)}${r.s.toFixed(2).padStart(8)}${ratioBash.padStart(8)}${ratioUp.padStart(7)}  ${String(r.resources ?? "").padStart(9)}  ${ssh}`,
        );
    }
    console.log("\ntargets:");
    for (const nocp of [false, true]) {
        const tag = nocp ? ` ${NOCP_TAG}` : "";
        for (const n of NS) {
            const bash = get(n, "bash: build");
            const up = get(n, "dvrlab: pulumi up", nocp);
            const pv = get(n, "dvrlab: pulumi preview", nocp);
            if (!bash || !up || !pv) continue;
            const cmd = get(n, "remote.Command", nocp);
            const parts = [
                `up ÷ bash ${(up / bash).toFixed(2)} (≤ 1.5: ${up / bash <= 1.5 ? "met" : "NOT met"})`,
                `preview ÷ up ${(pv / up).toFixed(2)} (≤ 0.3: ${pv / up <= 0.3 ? "met" : "NOT met"})`,
            ];
            if (cmd) parts.push(`remote.Command ÷ up ${(cmd / up).toFixed(2)} (≥ 3: ${cmd / up >= 3 ? "met" : "NOT met"})`);
            console.log(`  N=${n}${tag}: ${parts.join("; ")}`);
        }
        if (NS.length > 1) {
            const lo = Math.min(...NS);
            const hi = Math.max(...NS);
            for (const w of [
                "dvrlab: pulumi up",
                "dvrlab: pulumi preview",
                "dvrlab: pulumi refresh",
                "dvrlab: pulumi destroy",
                ...(nocp ? [] : ["bash: build"]),
            ]) {
                const a = get(lo, w, w.startsWith("bash") ? false : nocp);
                const b = get(hi, w, w.startsWith("bash") ? false : nocp);
                if (a && b)
                    console.log(
                        `  growth ${w}${w.startsWith("bash") ? "" : tag} N=${lo}→${hi} (×${hi / lo}): ×${(b / a).toFixed(2)}${hi / lo === 10 ? ` (≤ 10: ${b / a <= 10 ? "met" : "NOT met"})` : ""}`,
                    );
            }
        }
    }
    const outDir = path.join(repoRoot, ".cache/bench");
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `dvr-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(
        file,
        JSON.stringify({ ns: NS, parallel: PARALLEL ?? "default", modes: MODES, cores: os.cpus().length, load: os.loadavg(), rows }, null, 2),
    );
    console.log(`\n(${file})`);
}

async function main() {
    lab("up");
    try {
        for (const n of NS) await benchN(n);
        if (VMS > 0)
            await require("./dvr/vms").benchVms({
                n: VMS,
                underlay,
                key,
                knownHosts,
                onHosts,
                readBack,
                isEmpty,
                work,
                stack: STACK,
                projectDir,
                rows,
                BenchStack,
            });
    } finally {
        report();
        if (!KEEP_LAB) {
            lab("down");
            // a lab dir of this run's own (not given): its keys and known_hosts go too
            if (!process.env.DVRLAB_LAB_DIR) fs.rmSync(labDir, { recursive: true, force: true });
        }
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
