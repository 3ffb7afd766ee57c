// Fault: concurrent edits of one dnsmasq's host files by two stacks that share the DHCP host (two
// `pulumi up`s at once: two provider processes, two SSH connections, --parallel 20). Each round
// starts with the test holding the files' lock until every edit of both runs is blocked on it, then
// releases them all at once: 20 creates (10 per stack); 10 in-place updates (A) + 5 creates (B),
// B's 5 deletes right after (Pulumi deletes once the other steps are done); 10 updates (A) + 10
// deletes (B's destroy). Each engine issues its 10 at once; the executor runs 8 per SSH connection
// (its channel cap), so 16 (13) edits wait on the lock together and the rest join as channels
// free up. After
// each round: every expected line exactly once in `host` and `addn_hosts`, nothing else, no temp
// file left, the same dnsmasq (SIGHUPed, never restarted) re-read all of them.
//
// Why this shape: two DVR stacks cannot share a host's br-int/br-tun (each marks its bridges as its
// own, by design), so the stacks share what can legitimately be shared: one network's DhcpServer.
// Stack A owns a bridge of its own name and the DhcpServer plus 10 leases; stack B holds only
// DhcpLease resources naming A's network (as another team's tool adding hosts to a shared DHCP
// server would). Both write the same two files, the race the edit script's flock must win.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireLab, waitFor } from "../helpers/lab";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { Background, FAULT_ID, FaultLab } from "./faultLab";

const project = path.join(repoRoot, "test/faults/projects/leases");
const HOST = "server-233";
const NET = `fl${FAULT_ID}`;
const DIR = `/var/lib/dvrlab/dhcp/${NET}`;
const PER_STACK = 10;
/** The SSH executor's channels per connection (provider/ssh/executor.ts MAX_CHANNELS, under sshd's MaxSessions): the most edits one provider process has on a host at once. */
const CHANNELS = 8;

type Lease = { mac: string; hostname: string; ip: string };
const lease = (stack: "a" | "b", i: number, v = 1): Lease => ({
    mac: `fa:16:3e:aa:0${stack === "a" ? 1 : 2}:${i.toString(16).padStart(2, "0")}`,
    hostname: v === 1 ? `${stack}-${i}` : `${stack}-${i}-v${v}`,
    ip: `192.168.50.${(stack === "a" ? 10 + (v - 1) * 20 : 100) + i}`, // a: .10-.19, .30-.39, .50-.59; b: .100-.114
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe("fault: 20 concurrent lease edits from two stacks sharing a DHCP host", function () {
    this.timeout(600_000);
    const lab = new FaultLab();
    const numbers: Record<string, string> = {};
    let work: string;
    let a: TestStack | undefined;
    let b: TestStack | undefined;
    const runs: Background[] = [];

    function stack(name: string, server: boolean): TestStack {
        const s = new TestStack(project, `${name}${FAULT_ID}`, work);
        s.init();
        s.setConfig("dvrlab:sshPrivateKeyFile", lab.key);
        s.setConfig("dvrlab:knownHostsFile", lab.knownHosts);
        for (const [k, v] of Object.entries({
            host: lab.ip(HOST),
            network: NET,
            serverAddress: "192.168.50.2/24",
            bridge: `flbr${FAULT_ID}`,
            server: String(server),
            leases: "[]",
        }))
            s.setConfig(`test:${k}`, v);
        return s;
    }

    /**
     * Both runs at once, with a barrier: the test holds the files' lock (the edit script's flock) while
     * both start, waits until `waiting` edits from the two runs are blocked on it (flock processes in
     * the host), then lets them all go at the same moment. Without the barrier the two CLIs' start-up
     * times differ by more than a run's whole edit phase (~0.5 s), and they would not overlap.
     */
    async function together(what: string, waiting: number, ...jobs: [TestStack, string[]][]): Promise<{ maxInFlight: number; count: number }[]> {
        let bgs: Background[] = [];
        const holder = spawn(
            "bash",
            [path.join(repoRoot, "lab/hostexec.sh"), HOST, "flock", "-o", `${DIR}/lock`, "sh", "-c", "echo locked; exec cat >/dev/null"],
            { env: lab.env, stdio: ["pipe", "pipe", "inherit"] },
        );
        try {
            await new Promise<void>((res, rej) => {
                holder.stdout!.once("data", () => res());
                holder.once("exit", (c) => rej(new Error(`lock holder exited ${c}`)));
            });
            const t0 = Date.now();
            bgs = jobs.map(([s, args]) => new Background(s, [...args, "--yes", "--skip-preview", "--parallel", "20"]));
            runs.push(...bgs);
            const blocked = () => lab.pids(HOST, "flock").length - 1; // minus the holder
            await waitFor(
                `${waiting} edits blocked on the lock`,
                120_000,
                () => blocked() >= waiting || bgs.some((x) => x.child.exitCode !== null) || undefined,
                50,
            );
            await new Promise((res) => setTimeout(res, 300)); // any more on their way
            const n = blocked();
            numbers[`${what}: edits blocked on the lock at once`] = String(n);
            assert.ok(n >= waiting, `${n} edits blocked on the lock at once, expected ${waiting} (runs so far:\n${bgs.map((x) => x.out).join("\n")})`);
            holder.stdin!.end(); // release: they all go
            const rs = await Promise.all(bgs.map((x) => x.done));
            numbers[what] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
            rs.forEach((r, i) => assert.equal(r.code, 0, `${jobs[i][0].stack} ${jobs[i][1].join(" ")} failed:\n${r.out}`));
            const ops = bgs.map((x) => x.operations("dvrlab:DhcpLease"));
            numbers[`${what}: lease edits in flight at once per run`] = ops.map((o) => `${o.maxInFlight}/${o.count}`).join(", ");
            assert.ok(ops[0].start < ops[1].end && ops[1].start < ops[0].end, `the two runs' lease edits overlap in time: ${JSON.stringify(ops)}`);
            return ops;
        } finally {
            holder.stdin!.end();
            if (holder.exitCode === null && holder.signalCode === null) await new Promise((res) => holder.once("exit", res));
            // on a failure: let the runs end (they hold their stacks' locks) before the next step or the cleanup
            await Promise.race([Promise.all(bgs.map((x) => x.done)), new Promise((res) => setTimeout(res, 120_000).unref())]);
        }
    }

    const setLeases = (s: TestStack, ls: Lease[]) => s.setConfig("test:leases", JSON.stringify(ls));

    /** The files hold exactly these leases' lines, each once; no temp file; dnsmasq (the same one) re-read them all. */
    async function expectFiles(leases: Lease[], dnsmasqPid: number): Promise<void> {
        const files = lab.sh(HOST, 'cd "$1" && for f in host addn_hosts; do echo "@@$f"; cat "$f"; done; echo @@ls; ls', DIR);
        const part = (name: string) =>
            files
                .split(`@@${name}\n`)[1]
                .split("@@")[0]
                .split("\n")
                .filter((l) => l !== "");
        assert.deepEqual(part("host").sort(), leases.map((l) => `${l.mac},${l.hostname},${l.ip}`).sort(), "host file: every lease once, nothing else");
        assert.deepEqual(part("addn_hosts").sort(), leases.map((l) => `${l.ip} ${l.hostname}`).sort(), "addn_hosts: every lease once, nothing else");
        assert.deepEqual(
            part("ls").filter((f) => /tmp/.test(f)),
            [],
            "no temp file left",
        );
        assert.deepEqual(lab.pids(HOST, "dnsmasq"), [dnsmasqPid], "the same dnsmasq: edits SIGHUP it, never restart it");
        // dnsmasq logs "read <addn_hosts> - N names" on each SIGHUP: the last one has them all
        const re = new RegExp(`read ${DIR}/addn_hosts - (\\d+) names`, "g");
        await waitFor(`dnsmasq to read ${leases.length} names`, 10_000, () => {
            const log = lab.sh(HOST, 'cat "$1"', `${DIR}/dnsmasq.log`);
            const counts = [...log.matchAll(re)].map((m) => Number(m[1]));
            return counts[counts.length - 1] === leases.length || undefined;
        });
    }

    before(function () {
        requireLab(this);
        lab.up();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-fleases-"));
        a = stack("fla", true);
        b = stack("flb", false);
    });

    after(function () {
        for (const r of runs) r.reap();
        try {
            for (const s of [b, a]) {
                if (!s) continue;
                s.run(["destroy", "--yes", "--skip-preview"], { allowFail: true });
                s.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
                fs.rmSync(path.join(project, `Pulumi.${s.stack}.yaml`), { force: true });
            }
            if (work) fs.rmSync(work, { recursive: true, force: true });
        } finally {
            lab.down();
            console.log(`      numbers: ${JSON.stringify(numbers)}`);
        }
    });

    let pid = 0;
    let leasesA: Lease[] = [];
    let leasesB: Lease[] = [];

    it("stack A's bridge and DhcpServer, no leases yet", async () => {
        a!.run(["up", "--yes", "--skip-preview"]);
        [pid] = lab.pids(HOST, "dnsmasq");
        assert.ok(pid > 0, "dnsmasq runs");
        await expectFiles([], pid);
    });

    it("20 leases created at once by both stacks: every line exactly once", async () => {
        leasesA = range(0, PER_STACK).map((i) => lease("a", i));
        leasesB = range(0, PER_STACK).map((i) => lease("b", i));
        setLeases(a!, leasesA);
        setLeases(b!, leasesB);
        const ops = await together("20 creates (2 ups at once)", 2 * CHANNELS, [a!, ["up"]], [b!, ["up"]]);
        assert.deepEqual(
            ops.map((o) => o.count),
            [PER_STACK, PER_STACK],
        );
        await expectFiles([...leasesA, ...leasesB], pid);
    });

    it("10 in-place updates (A) and 5 deletes + 5 creates (B) at once", async () => {
        leasesA = range(0, PER_STACK).map((i) => lease("a", i, 2));
        leasesB = range(5, PER_STACK + 5).map((i) => lease("b", i));
        setLeases(a!, leasesA);
        setLeases(b!, leasesB);
        await together("10 updates + 5 deletes + 5 creates (2 ups at once)", CHANNELS + 5, [a!, ["up"]], [b!, ["up"]]);
        await expectFiles([...leasesA, ...leasesB], pid);
    });

    it("B destroyed while A updates all its leases again: only A's lines are left", async () => {
        leasesA = range(0, PER_STACK).map((i) => lease("a", i, 3));
        setLeases(a!, leasesA);
        await together("10 deletes + 10 updates (destroy and up at once)", 2 * CHANNELS, [a!, ["up"]], [b!, ["destroy"]]);
        await expectFiles(leasesA, pid);
        // both stacks agree with the host: nothing to change
        a!.run(["preview", "--expect-no-changes"]);
    });

    it("destroying A removes the server, its files and dnsmasq", () => {
        a!.run(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(lab.pids(HOST, "dnsmasq"), []);
        assert.equal(lab.sh(HOST, 'ls -d "$1" 2>/dev/null; ovs-vsctl list-br | grep -vx br-phy; true', DIR).trim(), "");
    });
});
