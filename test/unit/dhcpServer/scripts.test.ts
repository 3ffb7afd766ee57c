import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { dhcpServerSchema } from "../../../provider/dhcpServer/schema";
import { isOurDnsmasq, isServing, parseServer, planDeleteFiles, planFiles, planStopDnsmasq, showServer, toInputs } from "../../../provider/dhcpServer/planner";

// The host-side scripts run for real by sh. Their files are positional arguments, so a test points
// them at a temp dir; a node process started with argv[0] "dnsmasq" stands in for dnsmasq (the
// scripts only look at /proc/<pid>/cmdline).

const seed = dhcpServerSchema.parse({ connection: { host: "172.30.124.233" }, owner: "dvrlab:p/s", network: "net1", tag: 1, address: "192.168.10.2/24" });
const run = (argv: readonly string[]) => spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 20_000 });

/** A process whose cmdline is `dnsmasq -e … -- <args>`; `stubborn` ignores SIGTERM. */
function fakeDnsmasq(args: string[], stubborn = false): ChildProcess {
    const code = stubborn ? "process.on('SIGTERM',()=>{});setInterval(()=>{},1000);console.log('r')" : "setInterval(()=>{},1000);console.log('r')";
    return spawn(process.execPath, ["-e", code, "--", ...args], { argv0: "dnsmasq", stdio: ["ignore", "pipe", "ignore"] });
}
const alive = (pid: number) => existsSync(`/proc/${pid}/cmdline`) && !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/\(.*\)/, "x"));
/** Resolves once the process runs its code (its SIGTERM handler installed), bounded by the test's timeout. */
const started = (c: ChildProcess) => new Promise((r) => c.stdout!.once("data", r));

describe("DhcpServer host scripts, run by sh", () => {
    let dir: string;
    const kids: ChildProcess[] = [];
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dvrlab-dhcp-"))));
    afterEach(() => {
        for (const k of kids.splice(0)) k.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
    });

    it("showServer: names qdhcp-<network>, tap<network> and the network's files as its arguments", () => {
        assert.deepEqual(showServer(seed).slice(3), ["sh", "qdhcp-net1", "tapnet1", "/var/lib/dvrlab/dhcp/net1", "/var/lib/dvrlab/dhcp/net1/pid"]);
    });

    it("showServer: reads owner, directory and the pid file's process with its argv", async () => {
        const pidf = join(dir, "pid");
        const k = fakeDnsmasq(["--pid-file=/var/lib/dvrlab/dhcp/net1/pid", "--interface=tapnet1"]);
        kids.push(k);
        await started(k);
        writeFileSync(pidf, `${k.pid}\n`);
        writeFileSync(join(dir, "owner"), "dvrlab:p/s\n");
        const argv = showServer(seed);
        const r = run([...argv.slice(0, 4), "dvrl-test-no-such-ns", "dvrlnope0", dir, pidf]);
        assert.equal(r.status, 0, r.stderr);
        const st = parseServer(r.stdout);
        assert.equal(st.namespace, false);
        assert.equal(st.dir, true);
        assert.equal(st.owner, "dvrlab:p/s");
        assert.equal(st.port, undefined);
        assert.deepEqual(st.dnsmasq, {
            pid: k.pid,
            namespace: "",
            argv: ["dnsmasq", "-e", "setInterval(()=>{},1000);console.log('r')", "--", "--pid-file=/var/lib/dvrlab/dhcp/net1/pid", "--interface=tapnet1"],
        });
        assert.equal(isOurDnsmasq(st, seed), true);
        assert.equal(isServing(st, seed), false, "not in qdhcp-net1");
        const inputs = toInputs(st, seed);
        assert.equal(inputs.running, false);
        assert.equal(inputs.owner, "dvrlab:p/s");
        assert.equal(inputs.address, "");
    });

    it("showServer: no directory, no pid file, or a pid file with garbage: no dnsmasq", () => {
        const argv = showServer(seed);
        const gone = run([...argv.slice(0, 4), "dvrl-test-no-such-ns", "dvrlnope0", join(dir, "absent"), join(dir, "absent", "pid")]);
        assert.equal(gone.status, 0, gone.stderr);
        const st = parseServer(gone.stdout);
        assert.deepEqual([st.namespace, st.dir, st.owner, st.dnsmasq], [false, false, undefined, undefined]);
        writeFileSync(join(dir, "pid"), "12ab\n");
        const bad = parseServer(run([...argv.slice(0, 4), "dvrl-test-no-such-ns", "dvrlnope0", dir, join(dir, "pid")]).stdout);
        assert.deepEqual([bad.dir, bad.owner, bad.dnsmasq], [true, undefined, undefined]);
        writeFileSync(join(dir, "pid"), "999999999\n");
        assert.equal(
            parseServer(run([...argv.slice(0, 4), "dvrl-test-no-such-ns", "dvrlnope0", dir, join(dir, "pid")]).stdout).dnsmasq,
            undefined,
            "no such process",
        );
    });

    it("planFiles: creates the directory and owner file without truncating hosts files", () => {
        assert.deepEqual(planFiles(seed)[0], ["mkdir", "-p", "-m", "0755", "/var/lib/dvrlab/dhcp/net1"]);
        const [, sh] = planFiles({ ...seed, owner: "dvrlab:p/s 'quoted'" });
        assert.deepEqual(sh.slice(3), ["sh", "/var/lib/dvrlab/dhcp/net1", "dvrlab:p/s 'quoted'"]);
        writeFileSync(join(dir, "host"), "fa:16:3e:00:00:01,192.168.10.5\n");
        const r = run([...sh.slice(0, 4), dir, "dvrlab:p/s 'quoted'"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(readFileSync(join(dir, "owner"), "utf8"), "dvrlab:p/s 'quoted'\n");
        assert.equal(readFileSync(join(dir, "host"), "utf8"), "fa:16:3e:00:00:01,192.168.10.5\n");
        assert.equal(readFileSync(join(dir, "addn_hosts"), "utf8"), "");
        assert.equal(existsSync(join(dir, "owner.tmp")), false);
    });

    it("planDeleteFiles: exactly the network's files, then the directory only when empty", () => {
        const [rm, rmdir] = planDeleteFiles("net1");
        const d = "/var/lib/dvrlab/dhcp/net1";
        assert.deepEqual(rm, [
            "rm",
            "-f",
            "--",
            `${d}/host`,
            `${d}/addn_hosts`,
            `${d}/leases`,
            `${d}/pid`,
            `${d}/dnsmasq.log`,
            `${d}/dnsmasq.err`,
            `${d}/owner`,
            `${d}/lock`,
            `${d}/host.tmp`,
            `${d}/addn_hosts.tmp`,
        ]);
        assert.deepEqual(rmdir.slice(3), ["sh", d]);
        writeFileSync(join(dir, "other"), "x");
        assert.equal(run([...rmdir.slice(0, 4), dir]).status !== 0, true, "a foreign file keeps the directory (rmdir fails)");
        assert.equal(existsSync(dir), true);
        rmSync(join(dir, "other"));
        assert.equal(run([...rmdir.slice(0, 4), dir]).status, 0);
        assert.equal(existsSync(dir), false);
        assert.equal(run([...rmdir.slice(0, 4), dir]).status, 0, "already gone");
    });

    it("planStopDnsmasq: stops the pid only while it is our dnsmasq, and removes the pid file", async () => {
        const pidf = join(dir, "pid");
        const other = fakeDnsmasq(["--pid-file=/elsewhere/pid"]);
        const ours = fakeDnsmasq([`--pid-file=${pidf}`]);
        kids.push(other, ours);
        await Promise.all([started(other), started(ours)]);
        writeFileSync(pidf, "x");
        assert.deepEqual(planStopDnsmasq(4242, "/var/lib/dvrlab/dhcp/net1/pid").slice(3), ["sh", "4242", "/var/lib/dvrlab/dhcp/net1/pid"]);
        const notOurs = run(planStopDnsmasq(other.pid!, pidf));
        assert.equal(notOurs.status, 0, notOurs.stderr);
        assert.equal(alive(other.pid!), true, "another network's dnsmasq is left alone");
        assert.equal(existsSync(pidf), true, "and the pid file kept");
        const r = run(planStopDnsmasq(ours.pid!, pidf));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(alive(ours.pid!), false);
        assert.equal(existsSync(pidf), false);
    });

    it("planStopDnsmasq: a dnsmasq ignoring TERM is killed after ~5 s", async () => {
        const pidf = join(dir, "pid");
        const k = fakeDnsmasq([`--pid-file=${pidf}`], true);
        kids.push(k);
        await started(k);
        writeFileSync(pidf, "x");
        const t0 = Date.now();
        const r = run(planStopDnsmasq(k.pid!, pidf));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(alive(k.pid!), false);
        assert.equal(existsSync(pidf), false);
        assert.ok(Date.now() - t0 >= 4500, `killed after ${Date.now() - t0} ms, before the TERM grace`);
    });
});
