// The lab's own integration test (issue 4): three simulated hosts that look like real ones to the
// provider. Needs root and the lab's Debian packages (lab/packages.txt).
//
// The main lab (.lab, dvrl-, 172.30.124) is brought up here, or taken as up when
// DVRLAB_LAB_UP=1 (then it is left up for the tests that follow). The life-cycle checks (repair,
// crash, down, up after down) run on a second, private lab (dvrl2-, 172.30.125, .lab/lab2-<pid>)
// next to it, which also shows that two labs do not disturb each other.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HOST_NAMES, HostName, labOf, labPids, labSh, lines, liveNonZombie, mustLabSh, ssh, sshArgs, status, trySsh, waitNothingLeft } from "./labFixture";

const REPO = path.resolve(__dirname, "..", "..");

const main = labOf(process.env.DVRLAB_LAB_DIR ?? path.join(REPO, ".lab"), process.env.DVRLAB_UNDERLAY ?? "172.30.124", process.env.DVRLAB_PREFIX ?? "dvrl-");
const assumeUp = process.env.DVRLAB_LAB_UP === "1";

describe("lab: three simulated hosts", function () {
    this.timeout(120_000);
    let broughtUp = false;

    before(function () {
        if (process.getuid?.() !== 0) this.skip();
        if (assumeUp) {
            assert.ok(status(main).healthy, "DVRLAB_LAB_UP=1 but lab.sh status says the lab is not healthy");
        } else {
            const r = mustLabSh(main, "up");
            broughtUp = true;
            // A cold qemu capabilities cache costs one ~8 s probe; afterwards up is ~1 s.
            assert.ok(r.ms < 20_000, `up took ${r.ms} ms`);
        }
    });

    after(function () {
        if (broughtUp) labSh(main, "down");
    });

    describe("the main lab", function () {
        it("status --json: three healthy hosts, each with its five daemons and br-phy (netdev)", function () {
            const s = status(main);
            assert.ok(s.healthy, JSON.stringify(s.hosts, null, 1));
            for (const h of HOST_NAMES) {
                const host = s.hosts[h];
                for (const d of ["ovsdb-server", "ovs-vswitchd", "libvirtd", "virtlogd", "sshd"]) {
                    assert.ok(typeof host.daemons[d] === "number", `${h}: ${d} not running`);
                }
                const brPhy = host.bridges.find((b) => b.name === "br-phy");
                assert.ok(brPhy, `${h}: no br-phy`);
                assert.strictEqual(brPhy.datapath, "netdev");
                assert.deepStrictEqual(brPhy.ports, ["eth0"]);
            }
            const pids = HOST_NAMES.map((h) => s.hosts[h].daemons["ovs-vswitchd"]);
            assert.strictEqual(new Set(pids).size, 3, "hosts share an ovs-vswitchd");
        });

        it("SSH reaches each host: its own name, address, devices, PATH, home and host key", function () {
            const known = lines(fs.readFileSync(path.join(main.dir, "known_hosts"), "utf8"));
            assert.strictEqual(known.length, 3);
            for (const h of HOST_NAMES) {
                assert.ok(
                    known.some((l) => l.startsWith(`${main.ip[h]} ssh-ed25519 AAAA`)),
                    `known_hosts lacks ${h}`,
                );
                const [name, addr, devs, pathVar, home] = ssh(
                    main,
                    h,
                    "hostname; ip -4 -o addr show dev br-phy | awk '{print $4}'; ls /sys/class/net | tr '\\n' ' '; echo; " + "echo $PATH; wc -c < ~/.bashrc",
                ).split("\n");
                assert.strictEqual(name, h);
                assert.strictEqual(addr, `${main.ip[h]}/24`);
                // Its own netns: its devices, none of the root namespace's (others may add bridges meanwhile).
                const devList = devs.trim().split(" ");
                for (const d of ["br-phy", "eth0", "lo"]) assert.ok(devList.includes(d), `${h}: no ${d} in /sys/class/net: ${devs}`);
                for (const d of [`${main.prefix}ul0`, ...HOST_NAMES.map((o) => `${main.prefix}u${o.split("-")[1]}`)]) {
                    assert.ok(!devList.includes(d), `${h} sees the root namespace's ${d}`);
                }
                assert.ok(pathVar.split(":").includes("/usr/sbin"), `PATH without sbin: ${pathVar}`);
                assert.ok(Number(home) < 200, "the host's ~/.bashrc is not the minimal one");
            }
            // Host keys are per host: server-233's key presented for server-64's address is refused.
            const k233 = known.find((l) => l.startsWith(`${main.ip["server-233"]} `))!;
            const wrong = path.join(main.dir, "known_hosts.wrong-test");
            fs.writeFileSync(wrong, k233.replace(main.ip["server-233"], main.ip["server-64"]) + "\n");
            try {
                const r = spawnSync("ssh", [...sshArgs(main, "server-64", { knownHosts: wrong }), "true"], { encoding: "utf8" });
                assert.notStrictEqual(r.status, 0, "server-64 accepted with server-233's host key");
                assert.match(r.stderr, /host key/i);
            } finally {
                fs.rmSync(wrong, { force: true });
            }
        });

        it("OVS is per host: a bridge created on one is not seen on the others", function () {
            const br = "dvrl-tiso";
            ssh(main, "server-233", `ovs-vsctl --may-exist add-br ${br} -- set Bridge ${br} datapath_type=netdev`);
            try {
                assert.strictEqual(trySsh(main, "server-233", `ovs-vsctl br-exists ${br}`).code, 0);
                for (const h of ["server-64", "server-68"] as const) {
                    assert.strictEqual(trySsh(main, h, `ovs-vsctl br-exists ${br}`).code, 2, `${br} visible on ${h}`);
                    assert.ok(!ssh(main, h, "ls /sys/class/net").includes(br), `${br} device visible on ${h}`);
                }
            } finally {
                ssh(main, "server-233", `ovs-vsctl --if-exists del-br ${br}`);
            }
            assert.strictEqual(trySsh(main, "server-233", `ovs-vsctl br-exists ${br}`).code, 2);
        });

        it("libvirt is per host: a domain defined on one is not seen on the others", function () {
            const dom = `dvrl-tiso-${process.pid}`;
            const xml = `<domain type='qemu'><name>${dom}</name><memory unit='MiB'>96</memory><os><type arch='x86_64'>hvm</type></os></domain>`;
            const virsh = "virsh -q -c qemu:///system";
            ssh(main, "server-233", `cat > /tmp/${dom}.xml <<'EOF'\n${xml}\nEOF\n${virsh} define /tmp/${dom}.xml >/dev/null; rm /tmp/${dom}.xml`);
            try {
                assert.ok(lines(ssh(main, "server-233", `${virsh} list --all --name`)).includes(dom));
                assert.strictEqual(ssh(main, "server-233", `${virsh} hostname`).trim(), "server-233");
                for (const h of ["server-64", "server-68"] as const) {
                    assert.ok(!lines(ssh(main, h, `${virsh} list --all --name`)).includes(dom), `${dom} visible on ${h}`);
                    assert.strictEqual(ssh(main, h, `${virsh} hostname`).trim(), h);
                }
            } finally {
                ssh(main, "server-233", `${virsh} undefine ${dom} >/dev/null`);
            }
            const s = status(main);
            assert.ok(!s.hosts["server-233"].domains.some((d) => d.name === dom));
        });

        it("underlay: every host pings the others; the root namespace pings every host", function () {
            for (const h of HOST_NAMES) {
                const others = HOST_NAMES.filter((o) => o !== h).map((o) => main.ip[o]);
                ssh(main, h, others.map((ip) => `ping -n -q -c1 -W1 ${ip} >/dev/null`).join(" && "));
                execFileSync("ping", ["-n", "-q", "-c1", "-W1", main.ip[h]]);
            }
            // A host address that is not there must fail, or the checks above prove nothing.
            assert.notStrictEqual(trySsh(main, "server-233", `ping -n -q -c1 -W1 ${main.underlay}.250`).code, 0);
        });

        it("VXLAN between netdev bridges on two hosts carries ping and TCP between namespaced endpoints", function () {
            const [a, b] = ["server-233", "server-64"] as const;
            const ep: Record<string, string> = { [a]: "10.250.0.1", [b]: "10.250.0.2" };
            const setup = (h: HostName, remote: string) =>
                ssh(
                    main,
                    h,
                    [
                        "set -e",
                        "ovs-vsctl --may-exist add-br dvrl-tvx -- set Bridge dvrl-tvx datapath_type=netdev" +
                            " -- --may-exist add-port dvrl-tvx dvrl-tvx-vx" +
                            ` -- set Interface dvrl-tvx-vx type=vxlan options:remote_ip=${remote} options:key=4242`,
                        "ip netns add dvrl-tep",
                        "ip link add dvrl-tep type veth peer name eth0 netns dvrl-tep",
                        // The userspace datapath reads the veth with AF_PACKET: without this, TCP breaks.
                        "ethtool -K dvrl-tep tx off >/dev/null",
                        "ip netns exec dvrl-tep ethtool -K eth0 tx off >/dev/null",
                        "ip link set dvrl-tep up",
                        "ovs-vsctl add-port dvrl-tvx dvrl-tep",
                        `ip netns exec dvrl-tep sh -ec 'ip link set lo up; ip link set eth0 mtu 1450 up; ip addr add ${ep[h]}/24 dev eth0'`,
                    ].join("\n"),
                );
            const teardown = (h: HostName) =>
                trySsh(
                    main,
                    h,
                    "ovs-vsctl --if-exists del-br dvrl-tvx; ip link del dvrl-tep 2>/dev/null; ip netns del dvrl-tep 2>/dev/null; rm -f /tmp/dvrl-rx.md5; true",
                );
            try {
                setup(a, main.ip[b]);
                setup(b, main.ip[a]);
                // The first packet may wait for OVS's own ARP resolution of the remote endpoint.
                const ping = ssh(main, a, `ip netns exec dvrl-tep ping -n -c5 -i0.2 -w5 ${ep[b]}`);
                assert.match(ping, /5 received/, ping);
                const rtt = Number(/= [\d.]+\/([\d.]+)\//.exec(ping)?.[1]);
                assert.ok(rtt > 0 && rtt < 20, `VXLAN RTT ${rtt} ms`);
                // OVS did the tunnelling itself: it resolved the remote endpoint through br-phy.
                assert.match(ssh(main, a, "ovs-appctl tnl/arp/show"), new RegExp(`${main.ip[b].replace(/\./g, "\\.")}\\s.*br-phy`));

                // TCP (checksummed end to end, unlike ICMP's software checksum) with a known payload.
                const payload = "seq 1 200000";
                const want = execFileSync("sh", ["-c", `${payload} | md5sum`], { encoding: "utf8" }).split(" ")[0];
                ssh(
                    main,
                    b,
                    "rm -f /tmp/dvrl-rx.md5; nohup sh -c 'ip netns exec dvrl-tep timeout 15 busybox nc -l -p 5001 | md5sum > /tmp/dvrl-rx.md5.part && mv /tmp/dvrl-rx.md5.part /tmp/dvrl-rx.md5' >/dev/null 2>&1 </dev/null &",
                );
                ssh(
                    main,
                    a,
                    `for i in $(seq 50); do ${payload} | ip netns exec dvrl-tep timeout 10 bash -c 'cat > /dev/tcp/${ep[b]}/5001' 2>/dev/null && exit 0; sleep 0.1; done; exit 1`,
                );
                const got = ssh(main, b, "for i in $(seq 100); do [ -f /tmp/dvrl-rx.md5 ] && break; sleep 0.1; done; cat /tmp/dvrl-rx.md5").split(" ")[0];
                assert.strictEqual(got, want, "TCP payload corrupted or lost across the VXLAN");
            } finally {
                teardown(a);
                teardown(b);
            }
            for (const h of [a, b]) {
                assert.strictEqual(trySsh(main, h, "ovs-vsctl br-exists dvrl-tvx").code, 2, `dvrl-tvx left on ${h}`);
                assert.ok(!ssh(main, h, "ip netns list").includes("dvrl-tep"), `dvrl-tep left on ${h}`);
            }
        });

        it("up on a running lab is quick and harmless: same daemons", function () {
            const before = status(main);
            const r = mustLabSh(main, "up");
            assert.ok(r.ms < 5000, `second up took ${r.ms} ms`);
            const after = status(main);
            assert.ok(after.healthy);
            for (const h of HOST_NAMES) assert.deepStrictEqual(after.hosts[h].daemons, before.hosts[h].daemons, `${h} daemons changed`);
        });
    });

    describe("life cycle, on a second private lab next to the main one", function () {
        const lab2 = labOf(path.join(main.dir, `lab2-${process.pid}`), process.env.DVRLAB_TEST_UNDERLAY ?? "172.30.125", "dvrl2-");

        after(function () {
            labSh(lab2, "down");
            fs.rmSync(lab2.dir, { recursive: true, force: true });
        });

        it("up builds it in < 5 s without disturbing the main lab", function () {
            const mainBefore = status(main);
            const r = mustLabSh(lab2, "up");
            assert.ok(r.ms < 5000, `up took ${r.ms} ms`);
            assert.ok(status(lab2).healthy);
            assert.strictEqual(ssh(lab2, "server-68", "hostname").trim(), "server-68");
            const mainAfter = status(main);
            assert.ok(mainAfter.healthy);
            for (const h of HOST_NAMES) assert.deepStrictEqual(mainAfter.hosts[h].daemons, mainBefore.hosts[h].daemons);
        });

        it("up repairs a killed daemon and a half-built host", function () {
            const before = status(lab2);
            const ulMac = () => JSON.parse(execFileSync("ip", ["-j", "link", "show", "dev", `${lab2.prefix}ul0`], { encoding: "utf8" }))[0].address;
            const macBefore = ulMac();
            process.kill(before.hosts["server-64"].daemons["ovs-vswitchd"]!, "SIGKILL");
            execFileSync("ip", ["netns", "del", `${lab2.prefix}server-68`]); // its daemons keep running
            const broken = status(lab2);
            assert.ok(!broken.healthy);
            assert.strictEqual(broken.hosts["server-64"].daemons["ovs-vswitchd"], null);

            mustLabSh(lab2, "up");
            // the underlay bridge keeps its MAC while a host's veth is re-created: the other hosts' ARP entries for it stay right
            assert.strictEqual(ulMac(), macBefore);
            const fixed = status(lab2);
            assert.ok(fixed.healthy, JSON.stringify(fixed.hosts, null, 1));
            // server-64 kept its database server; only the dead vswitchd was restarted.
            assert.strictEqual(fixed.hosts["server-64"].daemons["ovsdb-server"], before.hosts["server-64"].daemons["ovsdb-server"]);
            // server-68 was rebuilt from scratch: none of its old processes survive.
            for (const pid of Object.values(before.hosts["server-68"].daemons)) assert.ok(!liveNonZombie(pid!), `old server-68 process ${pid} survived`);
            ssh(lab2, "server-68", "ovs-vsctl br-exists br-phy && ping -n -q -c1 -W1 " + lab2.ip["server-233"]);
        });

        it("down after a crash (every process killed, stale pid files) leaves no netns, link, mount, process or file", async function () {
            const pids = labPids(lab2);
            assert.ok(pids.length >= 15, `only ${pids.length} lab processes found`);
            // one killed process can take another with it (a daemon's child) before its turn: already gone is fine
            for (const pid of pids) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch (e: any) {
                    if (e.code !== "ESRCH") throw e;
                }
            }
            const r = mustLabSh(lab2, "down");
            assert.ok(r.ms < 5000, `down took ${r.ms} ms`);
            await waitNothingLeft(lab2, pids);
            const gone = status(lab2);
            assert.ok(!gone.healthy && Object.values(gone.hosts).every((h) => !h.healthy), "status calls a lab that is down healthy");
        });

        it("up after down works; down again leaves nothing", async function () {
            mustLabSh(lab2, "up");
            assert.ok(status(lab2).healthy);
            ssh(lab2, "server-233", `ping -n -q -c1 -W1 ${lab2.ip["server-64"]}`);
            const pids = labPids(lab2);
            const r = mustLabSh(lab2, "down");
            assert.ok(r.ms < 5000, `down took ${r.ms} ms`);
            await waitNothingLeft(lab2, pids);
            assert.ok(status(main).healthy, "the main lab suffered from the second lab's down");
        });
    });

    // (A "main lab: down leaves nothing" test was removed: under npm test the lab is up before this
    // file runs, so it was always skipped; the second lab's "down after a crash" and "up after down;
    // down again" tests assert the same with the same lab.sh.)
});
