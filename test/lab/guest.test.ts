// The guest image and its command channel on a real (TCG) qemu, without libvirt: build (cached),
// boot a guest on a tap in a throwaway `dvrl-` network namespace where a throwaway dnsmasq hands
// it the seed's address by MAC with MTU 1450 (DHCP option 26), then drive it through the channel.
// Needs root, qemu-system-x86_64, qemu-img and dnsmasq; skipped otherwise.
//
// Every object is named from this process's pid (namespace dvrl-gt-<pid>, /tmp/dvrl-gt-<pid>);
// leftovers of a run that died are removed at start (only when their pid is gone).
import * as assert from "assert";
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { GuestChannelError, GuestCommandTimeoutError, GuestSocket, guestExec, localSocket, waitForAgent, withGuestSession } from "../../provider/guest/channel";
import { buildGuestImage, GuestManifest } from "../../lab/guest/image";

const execFileP = promisify(execFile);
const PREFIX = "dvrl-gt-";
const NS = `${PREFIX}${process.pid}`;
const DIR = path.join(os.tmpdir(), NS);
const BRIDGE = "dvrl-br0"; // inside NS only
const TAP = "dvrl-tap0"; // inside NS only
const SERVER_IP = "192.168.10.2";
const GUEST_IP = "192.168.10.168"; // the seed's address and MAC
const GUEST_MAC = "fa:16:3e:ff:aa:66";
const MTU = 1450;

async function run(cmd: string, args: string[]): Promise<string> {
    try {
        return (await execFileP(cmd, args, { maxBuffer: 16 << 20 })).stdout;
    } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        throw new Error(`${cmd} ${JSON.stringify(args)} failed (${err.code}): ${err.stderr ?? ""}${err.stdout ?? ""}`);
    }
}

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Kill a process we started, by pid, and wait (bounded) for it to go. */
async function stop(child: ChildProcess | undefined) {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    if (await Promise.race([gone.then(() => true), sleep(3000).then(() => false)])) return;
    child.kill("SIGKILL");
    await Promise.race([gone, sleep(2000)]);
}

/** Remove what a dead earlier run (killed before its cleanup) left behind: only dvrl-gt-<dead pid>. */
async function removeStale() {
    const list = await run("ip", ["netns", "list"]).catch(() => "");
    const names = new Set(list.split("\n").map((l) => l.split(" ")[0]));
    for (const f of fs.readdirSync(os.tmpdir())) if (f.startsWith(PREFIX)) names.add(f);
    for (const name of names) {
        const m = name.match(/^dvrl-gt-(\d+)$/);
        if (!m || alive(Number(m[1]))) continue;
        const dir = path.join(os.tmpdir(), name);
        // its qemu and dnsmasq, only if the pid file's process still points into that dir
        for (const pidFile of ["qemu.pid", "dnsmasq.pid"]) {
            const pid = Number(fs.existsSync(path.join(dir, pidFile)) ? fs.readFileSync(path.join(dir, pidFile), "utf8") : 0);
            if (!pid) continue;
            const cmdline = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
            if (cmdline.includes(dir)) process.kill(pid, "SIGKILL");
        }
        await run("ip", ["netns", "delete", name]).catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("guest image on qemu (TCG) with DHCP and the command channel", function () {
    this.timeout(120_000);
    let manifest: GuestManifest;
    let qemu: ChildProcess | undefined;
    let dnsmasq: ChildProcess | undefined;
    let nsCreated = false;
    let sock: GuestSocket;
    const numbers: Record<string, string> = {};

    async function cleanup() {
        await Promise.all([stop(qemu), stop(dnsmasq)]);
        if (nsCreated) {
            await run("ip", ["netns", "delete", NS]);
            nsCreated = false;
        }
        fs.rmSync(DIR, { recursive: true, force: true });
    }

    // mocha skips `after` when interrupted: clean up synchronously on the way out as well
    function cleanupNow() {
        for (const c of [qemu, dnsmasq]) if (c?.pid && c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        if (nsCreated) spawnSync("ip", ["netns", "delete", NS]);
        fs.rmSync(DIR, { recursive: true, force: true });
    }
    const onSignal = (sig: NodeJS.Signals) => {
        cleanupNow();
        process.kill(process.pid, sig);
    };

    before(async function () {
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        if (process.getuid?.() !== 0 || !["qemu-system-x86_64", "qemu-img", "dnsmasq", "ip"].every(have)) {
            this.skip();
        }
        this.timeout(600_000); // a cold build downloads the kernel package
        await removeStale();

        let t = Date.now();
        const built = await buildGuestImage();
        numbers.build = `${Date.now() - t} ms`;
        manifest = built.manifest;
        t = Date.now();
        assert.strictEqual((await buildGuestImage()).manifestPath, built.manifestPath, "a second build prints the same path");
        numbers.cachedBuild = `${Date.now() - t} ms`;
        assert.ok(Date.now() - t < 1000, `cached build took ${Date.now() - t} ms`);

        fs.mkdirSync(DIR, { recursive: true });
        await run("ip", ["netns", "add", NS]);
        nsCreated = true;
        const ipn = (...args: string[]) => run("ip", ["-n", NS, ...args]);
        await ipn("link", "set", "lo", "up");
        await ipn("link", "add", BRIDGE, "type", "bridge", "forward_delay", "0", "stp_state", "0");
        await ipn("addr", "add", `${SERVER_IP}/24`, "dev", BRIDGE);
        await ipn("link", "set", BRIDGE, "up");
        await ipn("tuntap", "add", "dev", TAP, "mode", "tap");
        await ipn("link", "set", TAP, "master", BRIDGE, "up");

        const log = path.join(DIR, "dnsmasq.log");
        const dnsmasqErr = fs.openSync(path.join(DIR, "dnsmasq.stderr"), "w");
        // `ip netns exec` execs, so the child's pid is dnsmasq's (and later qemu's)
        dnsmasq = spawn(
            "ip",
            [
                "netns",
                "exec",
                NS,
                "dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--port=0",
                `--interface=${BRIDGE}`,
                "--bind-interfaces",
                "--user=root",
                "--group=root",
                "--dhcp-range=192.168.10.0,static,255.255.255.0,12h",
                `--dhcp-host=${GUEST_MAC},dvrl-guest,${GUEST_IP}`,
                `--dhcp-option=option:mtu,${MTU}`,
                `--dhcp-leasefile=${path.join(DIR, "leases")}`,
                `--pid-file=${path.join(DIR, "dnsmasq.pid")}`,
                "--log-dhcp",
                `--log-facility=${log}`,
            ],
            { stdio: ["ignore", "ignore", dnsmasqErr] },
        );
        fs.closeSync(dnsmasqErr);

        const overlay = path.join(DIR, "overlay.qcow2");
        await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", manifest.baseImage, overlay]);
        const agentSock = path.join(DIR, "agent.sock");
        sock = localSocket(agentSock);
        const qemuErr = fs.openSync(path.join(DIR, "qemu.stderr"), "w");
        const t0 = Date.now();
        // the same devices LibvirtDomain gives a domain (lab/guest/example-domain.xml)
        qemu = spawn(
            "ip",
            [
                "netns",
                "exec",
                NS,
                "qemu-system-x86_64",
                "-machine",
                "pc,accel=tcg",
                "-m",
                String(manifest.minMemoryMiB),
                "-smp",
                "1",
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-kernel",
                manifest.kernel,
                "-initrd",
                manifest.initrd,
                "-append",
                manifest.cmdline,
                "-drive",
                `file=${overlay},if=virtio,format=qcow2`,
                "-netdev",
                `tap,id=n0,ifname=${TAP},script=no,downscript=no`,
                "-device",
                `virtio-net-pci,netdev=n0,mac=${GUEST_MAC}`,
                "-chardev",
                `file,id=s0,path=${path.join(DIR, "console.log")}`,
                "-serial",
                "chardev:s0",
                "-chardev",
                `socket,id=s1,path=${agentSock},server=on,wait=off`,
                "-serial",
                "chardev:s1",
                "-pidfile",
                path.join(DIR, "qemu.pid"),
            ],
            { stdio: ["ignore", "ignore", qemuErr] },
        );
        fs.closeSync(qemuErr);

        const ready = waitForAgent(sock, 60_000).then(() => Date.now() - t0);
        const ack = `DHCPACK(${BRIDGE}) ${GUEST_IP} ${GUEST_MAC}`;
        for (;;) {
            if (fs.existsSync(log) && fs.readFileSync(log, "utf8").includes(ack)) break;
            if (qemu.exitCode !== null) {
                throw new Error(`qemu exited with ${qemu.exitCode}: ${fs.readFileSync(path.join(DIR, "qemu.stderr"), "utf8")}`);
            }
            if (Date.now() - t0 > 60_000) {
                const console = fs.existsSync(path.join(DIR, "console.log")) ? fs.readFileSync(path.join(DIR, "console.log"), "utf8") : "";
                throw new Error(`no ${ack} within 60 s; console:\n${console.slice(-3000)}`);
            }
            await sleep(50);
        }
        numbers.bootToDhcpAck = `${Date.now() - t0} ms`;
        numbers.bootToAgent = `${await ready} ms`;
        // the ACK is logged before the guest's udhcpc script has applied it: wait for the guest
        for (;;) {
            if ((await guestExec(sock, ["test", "-e", "/run/dvrlab-lease"])).code === 0) break;
            if (Date.now() - t0 > 60_000) throw new Error("the guest never applied its lease");
            await sleep(20);
        }
        numbers.bootToLeaseApplied = `${Date.now() - t0} ms`;
    });

    after(async function () {
        this.timeout(30_000);
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        await cleanup();
        if (Object.keys(numbers).length) console.log(`      guest numbers: ${JSON.stringify(numbers)}`);
    });

    it("has the address from DHCP and applied the MTU of option 26 (read in the guest)", async () => {
        const addr = await guestExec(sock, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"]);
        assert.strictEqual(addr.code, 0, addr.stderr);
        assert.match(addr.stdout, new RegExp(`inet ${GUEST_IP.replace(/\./g, "\\.")}/24 `));
        const mtu = await guestExec(sock, ["cat", "/sys/class/net/eth0/mtu"]);
        assert.strictEqual(mtu.stdout.trim(), String(MTU));
        const lease = await guestExec(sock, ["cat", "/run/dvrlab-lease"]);
        assert.match(lease.stdout, new RegExp(`mtu=${MTU} .*server=${SERVER_IP.replace(/\./g, "\\.")}`));
        assert.strictEqual((await guestExec(sock, ["hostname"])).stdout.trim(), "dvrl-guest");
    });

    it("pings and arpings the DHCP server from the guest", async () => {
        const ping = await guestExec(sock, ["ping", "-c", "3", "-W", "2", SERVER_IP], { timeoutMs: 15_000 });
        assert.strictEqual(ping.code, 0, ping.stdout + ping.stderr);
        assert.match(ping.stdout, /3 packets transmitted, 3 packets received/);
        const arping = await guestExec(sock, ["arping", "-c", "1", "-w", "3", "-I", "eth0", SERVER_IP], { timeoutMs: 10_000 });
        assert.strictEqual(arping.code, 0, arping.stdout + arping.stderr);
        assert.match(arping.stdout, /Received 1 response/);
    });

    it("passes hostile argv through literally", async () => {
        const hostile = ["a b;rm -rf /", "$(x)", "`id`", "'\"", "new\nline\n", "", "*", "\\", "-e", "ü€", "\t"];
        const r = await guestExec(sock, ["printf", "[%s]", ...hostile]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, hostile.map((a) => `[${a}]`).join(""));
        assert.strictEqual((await guestExec(sock, ["ls", "/bin/busybox"])).code, 0, "nothing was removed");
    });

    it("returns non-zero exit codes and stderr as results", async () => {
        const r = await guestExec(sock, ["sh", "-c", "echo oops >&2; exit 7"]);
        assert.deepStrictEqual(r, { stdout: "", stderr: "oops\n", code: 7 });
        assert.strictEqual((await guestExec(sock, ["dvrl-missing"])).code, 127);
    });

    it("reports a timeout and stays usable afterwards", async () => {
        const t = Date.now();
        await assert.rejects(guestExec(sock, ["sleep", "30"], { timeoutMs: 1000 }), (e: unknown) => {
            assert.ok(e instanceof GuestCommandTimeoutError, String(e));
            assert.match(e.message, /\["sleep","30"\].*timed out after 1s/);
            return true;
        });
        assert.ok(Date.now() - t < 5000, `timeout reported after ${Date.now() - t} ms`);
        assert.strictEqual((await guestExec(sock, ["echo", "still here"])).stdout, "still here\n");
    });

    it("moves 64 KiB each way through the serial port intact", async () => {
        const data = Array.from({ length: 1024 }, (_, i) => `${i.toString().padStart(4, "0")} ${"x".repeat(58)}\n`).join("");
        assert.strictEqual(data.length, 64 * 1024);
        const r = await guestExec(sock, ["cat"], { stdin: data });
        assert.strictEqual(r.stdout, data);
    });

    it("serializes concurrent callers and is fast", async () => {
        const par = await Promise.all(Array.from({ length: 6 }, (_, i) => guestExec(sock, ["echo", `p${i}`])));
        assert.deepStrictEqual(
            par.map((r) => r.stdout),
            Array.from({ length: 6 }, (_, i) => `p${i}\n`),
        );

        const session: number[] = [];
        await withGuestSession(sock, async (s) => {
            for (let i = 0; i < 50; i++) {
                const t = process.hrtime.bigint();
                assert.strictEqual((await s.exec(["true"])).code, 0);
                session.push(Number(process.hrtime.bigint() - t) / 1e6);
            }
        });
        const oneShot: number[] = [];
        for (let i = 0; i < 20; i++) {
            const t = process.hrtime.bigint();
            await guestExec(sock, ["true"]);
            oneShot.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        numbers.commandInSession = `median ${median(session).toFixed(1)} ms over 50`;
        numbers.guestExecOneShot = `median ${median(oneShot).toFixed(1)} ms over 20 (connect + PING + command)`;
        const rss = fs.readFileSync(`/proc/${qemu!.pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
        numbers.qemuRss = `${Math.round(Number(rss![1]) / 1024)} MiB at -m ${manifest.minMemoryMiB}`;
        assert.ok(median(session) < 200, `median ${median(session)} ms`);
    });

    it("fails clearly when the agent is gone", async () => {
        await stop(qemu);
        await assert.rejects(guestExec(sock, ["true"], { readyTimeoutMs: 1000 }), (e: unknown) => {
            assert.ok(e instanceof GuestChannelError && e.kind === "not-ready", String(e));
            return true;
        });
    });
});
