// bench/flows: N FlowEntry resources on one lab bridge through the real pulumi CLI (cold up,
// no-op preview, refresh, destroy) against the same flows added by hand: a shell loop of
// `ovs-ofctl add-flow` over one multiplexed SSH connection, and one `add-flows --bundle`.
//
//   npm run bench:flows                         (the lab must be up: npm run lab:up)
//   BENCH_FLOWS=1000 BENCH_MODES=8,8/nocp,64/nocp npm run bench:flows
//
// A mode is pulumi's --parallel, optionally "/nocp": PULUMI_SKIP_CHECKPOINTS=true, i.e. the file
// backend writes the state once at the end instead of after every step (see bench/README.md).
//
// Prints one table with ratios; writes .cache/bench/flows-<time>.json. Creates the bridge
// dvrlt-bench on server-233 and removes it at the end.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { addLine, flowCookie, OFCTL_PROTOCOLS, parseDumpFlows } from "../provider/flowEntry/planner";
import { brTun } from "../provider/flows";
import { LAB_HOSTS, labKey, labKnownHosts } from "../test/helpers/lab";
import { repoRoot, TestStack } from "../test/helpers/pulumi";

const N = Number(process.env.BENCH_FLOWS ?? 1000);
const MODES = (process.env.BENCH_MODES ?? "8,8/nocp,64/nocp")
    .split(",")
    .map((m) => ({ parallel: Number(m.split("/")[0]), skipCheckpoints: m.endsWith("/nocp") }));
const HOST = LAB_HOSTS["server-233"];
const BR = "dvrlt-bench";
const PROJECT = "dvrlab-bench-flows";
const STACK = "bench";
const O = OFCTL_PROTOCOLS;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-bench-"));
const ctl = path.join(work, "ssh.ctl");
const sshBase = [
    "-F",
    "/dev/null",
    "-i",
    labKey,
    "-o",
    `UserKnownHostsFile=${labKnownHosts}`,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "ServerAliveInterval=5",
    "-S",
    ctl,
];
const ssh = (cmd: string, input?: string) => execFileSync("ssh", [...sshBase, `root@${HOST}`, cmd], { encoding: "utf8", input, maxBuffer: 256 << 20 });
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const time = (f: () => void) => {
    const t0 = process.hrtime.bigint();
    f();
    return seconds(t0);
};
const count = () => parseDumpFlows(ssh(`ovs-ofctl -O ${O} --no-stats dump-flows ${BR}`)).length;
const clear = () => ssh(`ovs-ofctl -O ${O} del-flows ${BR}`); // the bench bridge is ours alone

// The stack's flows, with the cookies the stack derives: the hand-made baselines write exactly them.
const flowLines = Array.from({ length: N }, (_, k) => {
    const i = k + 1;
    return addLine({ cookie: flowCookie(PROJECT, STACK, `flood-${i}`), ...brTun.floodToTun({ vlan: i, vni: 0x1000 + i, ports: [2, 3] }) }).replace(/^add /, "");
});

interface Row {
    what: string;
    s: number;
    note?: string;
    provider?: any;
}
const rows: Row[] = [];

function providerStats(dir: string): any {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const out = { processes: files.length, dumps: 0, writes: 0, canonicalisations: 0, batches: 0, items: 0, dumpMs: 0, writeMs: 0, canonicalMs: 0 };
    for (const f of files) {
        for (const b of JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).bridges) {
            for (const k of Object.keys(out) as (keyof typeof out)[]) if (k !== "processes") out[k] += b[k] ?? 0;
        }
    }
    return out;
}

function main() {
    spawnSync("ssh", [...sshBase, "-M", "-o", "ControlPersist=600", "-fN", `root@${HOST}`], { stdio: "inherit" });
    ssh("true");
    ssh(`ovs-vsctl --may-exist add-br ${BR} -- set Bridge ${BR} datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow14`);
    clear();
    try {
        // 1. Shell loop: one `ovs-ofctl add-flow` per call over one multiplexed SSH connection.
        const list = path.join(work, "flows.txt");
        fs.writeFileSync(list, flowLines.join("\n") + "\n");
        const loop = `while IFS= read -r f; do ssh ${sshBase.map((a) => `'${a}'`).join(" ")} root@${HOST} "ovs-ofctl -O ${O} add-flow ${BR} '$f'" </dev/null || exit 1; done < '${list}'`;
        rows.push({ what: "shell loop: add-flow ×N over one SSH connection", s: time(() => execFileSync("bash", ["-c", loop], { stdio: "inherit" })) });
        if (count() !== N) throw new Error(`shell loop left ${count()} flows`);
        rows.push({ what: "hand: dump-flows of N flows", s: time(() => ssh(`ovs-ofctl -O ${O} --no-stats dump-flows ${BR} >/dev/null`)) });
        rows.push({ what: "hand: del-flows (one call)", s: time(clear) });

        // 2. One batch.
        rows.push({
            what: "hand: one add-flows --bundle of N",
            s: time(() => ssh(`ovs-ofctl -O ${O} --bundle add-flows ${BR} -`, flowLines.join("\n") + "\n")),
        });
        if (count() !== N) throw new Error("batch did not add N flows");
        clear();

        // 3. The real CLI, per mode.
        for (const { parallel: par, skipCheckpoints } of MODES) {
            const label = `--parallel ${par}${skipCheckpoints ? ", no checkpoints" : ""}`;
            const stackWork = path.join(work, `p${par}${skipCheckpoints ? "nocp" : ""}`);
            // A stack config left by an interrupted run would carry another secrets salt.
            fs.rmSync(path.join(repoRoot, "bench/projects/flows", `Pulumi.${STACK}.yaml`), { force: true });
            const stack = new TestStack(path.join(repoRoot, "bench/projects/flows"), STACK, stackWork);
            stack.init();
            stack.setConfig("bench:host", HOST);
            stack.setConfig("bench:bridge", BR);
            stack.setConfig("bench:count", String(N));
            stack.setConfig("dvrlab:sshPrivateKeyFile", labKey);
            stack.setConfig("dvrlab:knownHostsFile", labKnownHosts);
            if (skipCheckpoints) (stack.env as any).PULUMI_SKIP_CHECKPOINTS = "true";
            const phase = (what: string, args: string[], check?: () => void) => {
                const statsDir = path.join(stackWork, `stats-${what.replace(/\W+/g, "-")}`);
                fs.mkdirSync(statsDir, { recursive: true });
                (stack.env as any).DVRLAB_FLOW_STATS = path.join(statsDir, "s");
                const s = time(() => stack.run([...args, "--parallel", String(par)], { timeoutMs: 1_800_000 }));
                check?.();
                rows.push({ what: `pulumi ${what} (${label})`, s, provider: providerStats(statsDir) });
            };
            phase("up (cold)", ["up", "--yes", "--skip-preview"], () => {
                if (count() !== N) throw new Error(`up left ${count()} flows`);
            });
            phase("preview (no-op)", ["preview", "--expect-no-changes"]);
            phase("refresh", ["refresh", "--yes", "--expect-no-changes", "--skip-preview"]);
            phase("destroy", ["destroy", "--yes", "--skip-preview"], () => {
                if (count() !== 0) throw new Error(`destroy left ${count()} flows`);
            });
            stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
            fs.rmSync(path.join(repoRoot, "bench/projects/flows", `Pulumi.${STACK}.yaml`), { force: true });
        }
    } finally {
        ssh(`ovs-vsctl --if-exists del-br ${BR}`);
        spawnSync("ssh", [...sshBase, "-O", "exit", `root@${HOST}`], { stdio: "ignore" });
        fs.rmSync(work, { recursive: true, force: true });
    }

    const loop = rows[0].s;
    const batch = rows.find((r) => r.what.startsWith("hand: one add-flows"))!.s;
    console.log(`\nbench/flows: ${N} flows on one bridge of ${HOST} (${os.cpus().length} cores)\n`);
    console.log(
        `${"".padEnd(64)}${"seconds".padStart(9)}${"ms/flow".padStart(9)}${"÷ loop".padStart(9)}${"÷ batch".padStart(10)}   provider: batches dumps writes, ssh ms (dump/write)`,
    );
    for (const r of rows) {
        const p = r.provider;
        console.log(
            `${r.what.padEnd(64)}${r.s.toFixed(2).padStart(9)}${((r.s * 1000) / N).toFixed(2).padStart(9)}${(r.s / loop).toFixed(2).padStart(9)}${(r.s / batch).toFixed(1).padStart(10)}` +
                (p
                    ? `   ${p.batches} ${p.dumps} ${p.writes}, ${p.dumpMs}/${p.writeMs}${p.canonicalisations ? `, ${p.canonicalisations} canonicalisations` : ""}`
                    : ""),
        );
    }
    const outDir = path.join(repoRoot, ".cache/bench");
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `flows-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify({ n: N, host: HOST, cores: os.cpus().length, rows }, null, 2));
    console.log(`\n(${file})`);
}

main();
