// The real pulumi CLI builds the seed's VM + DHCP case A on a lab host (test/e2e/projects/dhcp):
// up until the guest holds 192.168.10.168 (timed), a clean preview, drift (domain destroyed,
// dnsmasq killed, lease line removed) seen by refresh and repaired by up, destroy leaving nothing.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NodeSSH } from "node-ssh";
import { guestExec, waitForAgent } from "../../provider/guest/channel";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { guestOnHost, guestSocket, hostCheck, hostSh, LAB, LAB_KEY, LAB_KNOWN_HOSTS, labIsUp, labSsh, requireLab, waitFor } from "../helpers/lab";

const HOST = LAB["server-233"];
const project = path.join(repoRoot, "test/e2e/projects/dhcp");
const s = String(process.pid % 10000);
const DOMAIN = `dvrlt-e${s}`;
const NET = `dvrlt-e${s}`;
const SOCKET = `/var/lib/libvirt/qemu/${DOMAIN}.agent.sock`;
const DIR = `/var/lib/dvrlab/dhcp/${NET}`;

/** Everything the stack can leave on the host, as one line per kind (empty = nothing left). */
function leftovers(): string {
    return hostSh(
        HOST,
        [
            'virsh -q -c qemu:///system list --all --name | grep -x "$1" | sed "s/^/domain /"',
            'ls -d "/var/lib/libvirt/images/$1.qcow2" "/var/log/libvirt/qemu/$1.log" "/var/log/libvirt/qemu/$1-console.log" "/var/lib/libvirt/qemu/$1.agent.sock" "$2" 2>/dev/null | sed "s/^/file /"',
            'ip netns list | grep -w "qdhcp-$3" | sed "s/^/netns /"',
            'for d in /sys/class/net/dvrlt-*"$4"; do [ -e "$d" ] && echo "link ${d##*/}"; done',
            'ovs-vsctl list-br | grep -x "dvrlt-be$4" | sed "s/^/bridge /"',
            'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null | grep -q -- "--pid-file=$2/pid" && echo "process ${p#/proc/}"; done',
            "true",
        ].join("; "),
        DOMAIN,
        DIR,
        NET,
        s,
    ).stdout.trim();
}

describe("DHCP case A end to end with the pulumi CLI (lab)", function () {
    this.timeout(600_000);
    let stack: TestStack;
    let work: string;
    let ssh: NodeSSH;
    const numbers: Record<string, string> = {};

    before(async function () {
        requireLab(this);
        const g = await guestOnHost(HOST);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-"));
        stack = new TestStack(project, `e2e${process.pid}`, work);
        stack.init();
        for (const [k, v] of Object.entries({
            host: HOST,
            suffix: s,
            kernel: g.kernel,
            initrd: g.initrd,
            cmdline: g.cmdline,
            base: g.base,
            memoryMiB: String(g.memoryMiB),
        })) {
            stack.setConfig(`test:${k}`, v);
        }
        stack.setConfig("dvrlab:sshPrivateKeyFile", LAB_KEY);
        stack.setConfig("dvrlab:knownHostsFile", LAB_KNOWN_HOSTS);
        ssh = await labSsh(HOST);
    });

    after(async function () {
        if (!labIsUp) return;
        ssh?.dispose();
        stack?.run(["destroy", "--yes"], { allowFail: true });
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, `Pulumi.${stack?.stack}.yaml`), { force: true });
        if (work) fs.rmSync(work, { recursive: true, force: true });
        if (Object.keys(numbers).length) console.log(`      numbers: ${JSON.stringify(numbers)}`);
    });

    async function leaseHeld(sinceMs: number): Promise<number> {
        const sock = guestSocket(ssh, SOCKET, "server-233");
        await waitForAgent(sock, 300_000);
        await waitFor("the guest's lease", 120_000, async () => (await guestExec(sock, ["test", "-e", "/run/dvrlab-lease"])).code === 0 || undefined, 50);
        return Date.now() - sinceMs;
    }

    it("up: the guest holds 192.168.10.168/24 (read inside it), dnsmasq logged the DHCPACK", async () => {
        const t0 = Date.now();
        const up = new Promise<{ code: number; out: string; ms: number }>((resolve) => {
            const p = spawn("pulumi", ["up", "--yes", "--stack", stack.stack, "--non-interactive", "--color", "never"], { cwd: project, env: stack.env });
            let out = "";
            p.stdout.on("data", (d) => (out += d));
            p.stderr.on("data", (d) => (out += d));
            p.on("exit", (code) => resolve({ code: code ?? -1, out, ms: Date.now() - t0 }));
        });
        const leased = leaseHeld(t0);
        const r = await up;
        assert.equal(r.code, 0, r.out);
        numbers.upToLease = `${await leased} ms`;
        numbers.up = `${r.ms} ms`;
        const sock = guestSocket(ssh, SOCKET, "server-233");
        assert.match((await guestExec(sock, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])).stdout, /inet 192\.168\.10\.168\/24 /);
        const outputs = JSON.parse(stack.run(["stack", "output", "--json"]).stdout);
        assert.match(
            hostCheck(HOST, 'cat "$1"', outputs.dnsmasqLog),
            new RegExp(`DHCPACK\\(${outputs.dhcpPort}\\) 192\\.168\\.10\\.168 fa:16:3e:ff:aa:66 cirros`),
        );
        // dnsmasq also answers DNS for the addn_hosts name (busybox nslookup in the guest)
        const ns = await guestExec(sock, ["nslookup", "cirros", "192.168.10.2"]);
        if (ns.code !== 127) assert.match(ns.stdout, /192\.168\.10\.168/);
    });

    it("a second preview shows no changes", () => {
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("refresh sees a destroyed domain, a killed dnsmasq and a removed lease line; up repairs all three", async () => {
        hostCheck(HOST, 'virsh -q -c qemu:///system destroy "$1" >/dev/null; kill -9 "$(cat "$2/pid")"; sed -i "/cirros/d" "$2/host"', DOMAIN, DIR);
        const r = stack.run(["refresh", "--yes", "--diff"]);
        const section = (kind: string) => r.stdout.slice(r.stdout.indexOf(`dvrlab:${kind}: (`)).split(/\n {4}[~+-] pulumi-nodejs/)[0];
        assert.match(section("LibvirtDomain"), /running\s*:\s*true\s*=>\s*false/, r.stdout);
        assert.match(section("DhcpServer"), /running\s*:\s*true\s*=>\s*false/, r.stdout);
        assert.match(r.stdout, /- pulumi-nodejs:dynamic\/dvrlab:DhcpLease: \(delete\)/, r.stdout);
        const p = stack.run(["preview", "--diff"]);
        // (the program leaves `running` to its default, so the preview shows the stale `running: false` going away)
        for (const kind of ["LibvirtDomain", "DhcpServer"])
            assert.match(p.stdout, new RegExp(`~ pulumi-nodejs:dynamic/dvrlab:${kind}: \\(update\\)`), p.stdout);
        assert.match(p.stdout, /\+ pulumi-nodejs:dynamic\/dvrlab:DhcpLease: \(create\)/);
        const t0 = Date.now();
        stack.run(["up", "--yes"]);
        numbers.repairToLease = `${await leaseHeld(t0)} ms`;
        assert.equal(hostCheck(HOST, 'grep -c "^fa:16:3e:ff:aa:66,cirros,192.168.10.168$" "$1/host"', DIR).trim(), "1");
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("destroy leaves no domain, overlay, namespace, process, file or device", () => {
        assert.notEqual(leftovers(), "", "sanity: the stack is there before destroy");
        stack.run(["destroy", "--yes"]);
        assert.equal(leftovers(), "");
    });
});
