// lab.sh up's options (issue 14): hosts that look like real servers, each checked on a private
// lab of its own (dvrl3-, 172.30.126, .lab/options-<pid>; DVRLAB_OPTIONS_LAB_DIR,
// DVRLAB_OPTIONS_UNDERLAY and DVRLAB_OPTIONS_PREFIX move it). The main lab is not touched, so
// this file needs no DVRLAB_LAB_UP. Needs root and lab/packages.txt (sudo among them).
//
// One lab, three kinds of host: server-233 stays plain (the contrast), server-64 is a Neutron-ish
// node behind a Docker-style firewall with two non-root users, server-68 is reached only through
// the bastion and has a small underlay MTU.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostExec, HostName, labOf, labPids, labSh, lines, mustLabSh, ssh, status, trySsh, waitNothingLeft } from "./labFixture";

const REPO = path.resolve(__dirname, "..", "..");
const lab = labOf(
    process.env.DVRLAB_OPTIONS_LAB_DIR ?? path.join(REPO, ".lab", `options-${process.pid}`),
    process.env.DVRLAB_OPTIONS_UNDERLAY ?? "172.30.126",
    process.env.DVRLAB_OPTIONS_PREFIX ?? "dvrl3-",
);
const BASTION_IP = `${lab.underlay}.2`;

const OPTIONS = [
    "--user",
    "server-64,server-68:debian",
    "--sudo-password-user",
    "server-64:admin",
    "--forward-drop=server-64",
    "--existing-br-int=server-64",
    "--broken",
    "server-64:/usr/sbin/dnsmasq",
    "--underlay-mtu",
    "server-68:1400",
    "--bastion=server-68",
];

/** The machine's account files, which the options must not touch (libvirt-qemu: the first up ever adds it, as the plain lab does). */
function machineAccounts(): string {
    const files = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/hosts"].map((f) =>
        fs
            .readFileSync(f, "utf8")
            .split("\n")
            .filter((l) => !l.startsWith("libvirt-qemu:"))
            .join("\n"),
    );
    return [...files, ...fs.readdirSync("/etc/sudoers.d"), ...fs.readdirSync("/home")].join("\n--\n");
}

/** `ip -j link show` of a device: its MTU, from the root namespace or inside a host. */
function mtu(dev: string, host?: HostName): number {
    const out = host
        ? hostExec(lab, host, "ip", "-j", "link", "show", "dev", dev).stdout
        : execFileSync("ip", ["-j", "link", "show", "dev", dev], { encoding: "utf8" });
    return JSON.parse(out)[0].mtu;
}

describe("lab options: hosts that look like real servers", function () {
    this.timeout(120_000);

    before(function () {
        if (process.getuid?.() !== 0) this.skip();
    });

    after(function () {
        if (fs.existsSync(lab.dir)) labSh(lab, "down");
        fs.rmSync(lab.dir, { recursive: true, force: true });
    });

    it("bad options are refused naming the option, before anything is built", function () {
        const cases: [string[], RegExp][] = [
            [["--user", "server-99:debian"], /--user server-99:debian: unknown host 'server-99'/],
            [["--user", "root"], /--user root: 'root' is a system user of this machine/],
            [["--user", "Bad Name"], /--user Bad Name: a user name is/],
            [["--broken", "server-64:/usr/sbin/no-such-binary"], /--broken server-64:\/usr\/sbin\/no-such-binary: not an absolute path to a file/],
            [["--underlay-mtu", "99999"], /--underlay-mtu 99999: an MTU is 576\.\.9000/],
            [["--forward-drop=server-64,nope"], /--forward-drop=server-64,nope: unknown host 'nope'/],
            [
                ["--user", "server-64:debian", "--sudo-password-user", "server-64:debian"],
                /server-64: --user and --sudo-password-user name the same user 'debian'/,
            ],
            [["--frobnicate"], /unknown option '--frobnicate'/],
        ];
        for (const [args, message] of cases) {
            const r = labSh(lab, "up", ...args);
            assert.strictEqual(r.code, 1, `up ${args.join(" ")} exited ${r.code}`);
            assert.match(r.stderr, message);
        }
        // Nothing was built: no namespace, link or host directory of this lab.
        assert.ok(
            !lines(execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })).some((l) => l.includes(`${lab.prefix}ul0`)),
            "the underlay bridge was made",
        );
        assert.ok(!fs.existsSync(path.join(lab.dir, "ns")), "namespace files were made");
    });

    it("up with every option: healthy, each host's options in status, the machine's accounts untouched", function () {
        const accounts = machineAccounts();
        const r = mustLabSh(lab, "up", ...OPTIONS);
        assert.strictEqual(machineAccounts(), accounts);
        assert.ok(r.ms < 30_000, `up took ${r.ms} ms`);
        const s = status(lab);
        assert.ok(s.healthy, JSON.stringify(s, null, 1));
        assert.deepStrictEqual(s.hosts["server-233"].options, {});
        assert.deepStrictEqual(s.hosts["server-64"].options, {
            broken: ["/usr/sbin/dnsmasq"],
            existingBrInt: true,
            forwardDrop: true,
            sudoPasswordUser: "admin",
            user: "debian",
        });
        assert.deepStrictEqual(s.hosts["server-68"].options, { bastion: true, underlayMtu: 1400, user: "debian" });
        assert.strictEqual(s.bastion?.ip, BASTION_IP);
        assert.strictEqual(s.bastion?.user, "jump");
        assert.ok(s.bastion?.healthy);
        const table = labSh(lab, "status").stdout;
        assert.match(table.split("\n")[0], /\sOPTIONS$/);
        assert.match(table, /server-64 .*broken=\/usr\/sbin\/dnsmasq,existing-br-int,forward-drop,sudo-password-user=admin,user=debian\n/);
        assert.match(table, new RegExp(`bastion ${BASTION_IP.replace(/\./g, "\\.")}: sshd up \\(user jump\\); SSH only through it: server-68\\n`));
    });

    it("--user: a non-root user with passwordless sudo and Debian's PATH without sbin; root may not log in", function () {
        const [uid, name, pathVar] = lines(ssh(lab, "server-64", "id -u; id -un; echo $PATH", "debian"));
        assert.match(uid, /^\d+$/);
        assert.notStrictEqual(uid, "0");
        assert.strictEqual(name, "debian");
        assert.strictEqual(pathVar, "/usr/local/bin:/usr/bin:/bin");
        // sbin commands are not found, OVS refuses a non-root client ...
        assert.strictEqual(trySsh(lab, "server-64", "command -v iptables", "debian").code, 1);
        const plain = trySsh(lab, "server-64", "ovs-vsctl show", "debian");
        assert.notStrictEqual(plain.code, 0);
        assert.match(plain.stderr, /Permission denied/);
        // ... and sudo -n does it all, without a word on stderr (the host's name resolves).
        const sudo = trySsh(lab, "server-64", "sudo -n ovs-vsctl br-exists br-phy && sudo -n iptables -S INPUT", "debian");
        assert.strictEqual(sudo.code, 0, sudo.stderr);
        assert.strictEqual(sudo.stdout, "-P INPUT ACCEPT\n");
        assert.strictEqual(sudo.stderr, "");
        const root = trySsh(lab, "server-64", "true");
        assert.strictEqual(root.code, 255);
        assert.match(root.stderr, /Permission denied/);
        // The user lives only inside its hosts; the plain host still takes root.
        assert.strictEqual(spawnSync("getent", ["passwd", "debian"]).status, 2, "debian exists on the machine");
        assert.strictEqual(trySsh(lab, "server-233", "id debian").code, 1);
        assert.strictEqual(ssh(lab, "server-233", "id -un").trim(), "root");
        // lab.sh ssh logs in as the host's user.
        assert.strictEqual(mustLabSh(lab, "ssh", "server-64", "id -un").stdout, "debian\n");
    });

    it("--sudo-password-user: in the sudo group, but sudo wants a password, so sudo -n fails", function () {
        assert.deepStrictEqual(ssh(lab, "server-64", "id -nG", "admin").trim().split(" ").sort(), ["admin", "sudo"]);
        const r = trySsh(lab, "server-64", "sudo -n true", "admin");
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /sudo: a password is required/);
    });

    it("--forward-drop: FORWARD policy DROP on that host only", function () {
        assert.match(ssh(lab, "server-64", "sudo -n iptables -S FORWARD", "debian"), /^-P FORWARD DROP$/m);
        assert.match(ssh(lab, "server-233", "iptables -S FORWARD"), /^-P FORWARD ACCEPT$/m);
    });

    it("--existing-br-int: a br-int with a foreign port and flow and no dvrlab owner mark", function () {
        const sh = (cmd: string) => ssh(lab, "server-64", `sudo -n ${cmd}`, "debian");
        assert.deepStrictEqual(JSON.parse(sh("ovs-vsctl --format=json --columns=datapath_type,fail_mode,protocols,external_ids list Bridge br-int")).data, [
            ["netdev", "secure", ["set", ["OpenFlow10", "OpenFlow13", "OpenFlow14"]], ["map", []]],
        ]);
        assert.deepStrictEqual(lines(sh("ovs-vsctl list-ports br-int")), ["foreign0"]);
        assert.strictEqual(sh("ovs-vsctl get Port foreign0 external_ids").trim(), "{}");
        assert.strictEqual(sh("ovs-vsctl get Interface foreign0 external_ids").trim(), "{}");
        assert.deepStrictEqual(lines(sh("ovs-ofctl --no-stats --names dump-flows br-int")), ["cookie=0xf00d, priority=2,in_port=foreign0 actions=drop"]);
        assert.strictEqual(trySsh(lab, "server-233", "ovs-vsctl br-exists br-int").code, 2);
    });

    it("--broken: the binary exits 127 on that host, over SSH and nsenter alike; other hosts unaffected", function () {
        const viaSsh = trySsh(lab, "server-64", "sudo -n dnsmasq --version", "debian");
        assert.strictEqual(viaSsh.code, 127);
        assert.match(viaSsh.stderr, /dnsmasq: broken on this lab host/);
        assert.strictEqual(hostExec(lab, "server-64", "/usr/sbin/dnsmasq", "--version").code, 127);
        assert.match(ssh(lab, "server-233", "dnsmasq --version"), /^Dnsmasq version/);
        assert.match(hostExec(lab, "server-68", "/usr/sbin/dnsmasq", "--version").stdout, /^Dnsmasq version/);
        assert.match(execFileSync("/usr/sbin/dnsmasq", ["--version"], { encoding: "utf8" }), /^Dnsmasq version/);
    });

    it("--underlay-mtu: eth0, br-phy and the root-side veth at 1400; a 1400-byte packet passes, 1428 bytes do not", function () {
        assert.strictEqual(mtu(`${lab.prefix}u68`), 1400);
        assert.strictEqual(mtu("eth0", "server-68"), 1400);
        assert.strictEqual(mtu("br-phy", "server-68"), 1400);
        assert.strictEqual(mtu(`${lab.prefix}u233`), 1500);
        assert.strictEqual(mtu("eth0", "server-233"), 1500);
        assert.strictEqual(mtu("br-phy", "server-233"), 1500);
        // From a 1500-byte host, with DF: 1372 + 28 = 1400 fits, 1400 + 28 does not.
        const ping = (size: number) => hostExec(lab, "server-233", "ping", "-n", "-q", "-c1", "-W1", "-M", "do", "-s", String(size), lab.ip["server-68"]).code;
        assert.strictEqual(ping(1372), 0);
        assert.notStrictEqual(ping(1400), 0);
    });

    it("--bastion: the host takes SSH only through the bastion; ssh -J works with the keys only in an agent", function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-agent-"));
        const sock = path.join(tmp, "agent.sock");
        const cfg = path.join(tmp, "ssh_config");
        // No IdentityFile anywhere: the keys are in the agent only. -F reaches the jump's ssh too.
        fs.writeFileSync(
            cfg,
            `Host *\n  UserKnownHostsFile ${path.join(lab.dir, "known_hosts")}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 2\n`,
        );
        const agent = execFileSync("ssh-agent", ["-s", "-a", sock], { encoding: "utf8" });
        const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)?.[1]);
        assert.ok(agentPid > 0, agent);
        const env = { ...process.env, SSH_AUTH_SOCK: sock };
        try {
            execFileSync("ssh-add", ["-q", path.join(lab.dir, "ssh", "id_ed25519"), path.join(lab.dir, "ssh", "bastion_ed25519")], { env, stdio: "pipe" });
            const run = (args: string[], e: NodeJS.ProcessEnv = env) => {
                const t0 = Date.now();
                const r = spawnSync("ssh", ["-F", cfg, ...args], { env: e, encoding: "utf8", timeout: 30_000 });
                return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
            };
            const direct = run([`debian@${lab.ip["server-68"]}`, "true"]);
            assert.strictEqual(direct.code, 255);
            assert.match(direct.err, /timed out/);
            assert.ok(direct.ms < 5000, `direct ssh took ${direct.ms} ms to fail`);
            const jumped = run(["-J", `jump@${BASTION_IP}`, `debian@${lab.ip["server-68"]}`, "hostname; id -un"]);
            assert.strictEqual(jumped.code, 0, jumped.err);
            assert.deepStrictEqual(lines(jumped.out), ["server-68", "debian"]);
            // Without the agent there is no key: refused.
            const noAgent = run(["-J", `jump@${BASTION_IP}`, `debian@${lab.ip["server-68"]}`, "true"], { ...process.env, SSH_AUTH_SOCK: "" });
            assert.strictEqual(noAgent.code, 255);
            assert.match(noAgent.err, /Permission denied/);
            // The bastion takes only its own user, and hosts not behind it take SSH directly.
            assert.match(run([`root@${BASTION_IP}`, "true"]).err, /Permission denied/);
            assert.deepStrictEqual(lines(run([`debian@${lab.ip["server-64"]}`, "hostname"]).out), ["server-64"]);
        } finally {
            process.kill(agentPid, "SIGTERM");
            fs.rmSync(tmp, { recursive: true, force: true });
        }
        // The host key of the bastion is pinned next to the hosts'; lab.sh ssh goes through it.
        assert.ok(lines(fs.readFileSync(path.join(lab.dir, "known_hosts"), "utf8")).some((l) => l.startsWith(`${BASTION_IP} ssh-ed25519 AAAA`)));
        assert.strictEqual(mustLabSh(lab, "ssh", "server-68", "hostname").stdout, "server-68\n");
    });

    it("restart-ovs: the database stays (bridges, ports, MTU), every flow is gone, the host answers again", function () {
        const before = status(lab);
        assert.strictEqual(before.hosts["server-64"].bridges.find((b) => b.name === "br-int")?.flows, 1);
        for (const h of ["server-64", "server-68"] as const) {
            const r = mustLabSh(lab, "restart-ovs", h);
            assert.ok(r.ms < 10_000, `restart-ovs took ${r.ms} ms`);
        }
        const after = status(lab);
        assert.ok(after.healthy, JSON.stringify(after, null, 1));
        const brInt = after.hosts["server-64"].bridges.find((b) => b.name === "br-int");
        assert.deepStrictEqual(brInt, { name: "br-int", datapath: "netdev", ports: ["foreign0"], flows: 0 });
        for (const h of ["server-64", "server-68"]) {
            for (const d of ["ovsdb-server", "ovs-vswitchd"])
                assert.notStrictEqual(after.hosts[h].daemons[d], before.hosts[h].daemons[d], `${h}: ${d} not restarted`);
            assert.strictEqual(after.hosts[h].daemons.libvirtd, before.hosts[h].daemons.libvirtd);
        }
        assert.deepStrictEqual(after.hosts["server-233"].daemons, before.hosts["server-233"].daemons);
        assert.strictEqual(mtu("br-phy", "server-68"), 1400);
        ssh(lab, "server-64", `ping -n -q -c1 -W1 ${lab.ip["server-233"]}`, "debian");
    });

    it("up with the same options rebuilds nothing", function () {
        const before = status(lab);
        const r = mustLabSh(lab, "up", ...OPTIONS);
        assert.ok(r.ms < 10_000, `up took ${r.ms} ms`);
        const after = status(lab);
        assert.ok(after.healthy);
        for (const h of ["server-233", "server-64", "server-68"])
            assert.deepStrictEqual(after.hosts[h].daemons, before.hosts[h].daemons, `${h} daemons changed`);
        assert.deepStrictEqual(after.bastion?.daemons, before.bastion?.daemons);
    });

    it("up without options turns it back into the plain lab; server-233 is left alone", function () {
        const before = status(lab);
        mustLabSh(lab, "up");
        const s = status(lab);
        assert.ok(s.healthy);
        assert.strictEqual(s.bastion, undefined);
        for (const h of ["server-233", "server-64", "server-68"]) assert.deepStrictEqual(s.hosts[h].options, {});
        assert.deepStrictEqual(s.hosts["server-233"].daemons, before.hosts["server-233"].daemons);
        assert.doesNotMatch(labSh(lab, "status").stdout, /OPTIONS|bastion/);
        assert.strictEqual(
            ssh(lab, "server-64", "id -un; iptables -S FORWARD; ovs-vsctl list-br; dnsmasq --version | head -c8"),
            "root\n-P FORWARD ACCEPT\nbr-phy\nDnsmasq ",
        );
        assert.strictEqual(ssh(lab, "server-68", "hostname").trim(), "server-68");
        assert.strictEqual(mtu(`${lab.prefix}u68`), 1500);
        assert.ok(!fs.existsSync(`/run/netns/${lab.prefix}bastion`), "the bastion's netns is still there");
        assert.ok(!lines(fs.readFileSync(path.join(lab.dir, "known_hosts"), "utf8")).some((l) => l.startsWith(`${BASTION_IP} `)));
    });

    it("down after up with every option leaves no netns, link, mount, process or file", async function () {
        mustLabSh(lab, "up", ...OPTIONS);
        assert.ok(status(lab).healthy);
        const pids = labPids(lab);
        assert.ok(pids.length >= 16, `only ${pids.length} lab processes found`);
        const r = mustLabSh(lab, "down");
        assert.ok(r.ms < 10_000, `down took ${r.ms} ms`);
        await waitNothingLeft(lab, pids);
    });
});
