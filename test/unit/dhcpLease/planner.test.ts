import { strict as assert } from "assert";
import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { dhcpLeaseSchema } from "../../../provider/dhcpLease/schema";
import { editArgv, parseLease, planDelete, planSet, showLease } from "../../../provider/dhcpLease/planner";

const execFileP = promisify(execFile);
const seed = dhcpLeaseSchema.parse({
    connection: { host: "172.30.124.233" },
    network: "net1",
    serverAddress: "192.168.10.2/24",
    mac: "FA:16:3E:FF:AA:66",
    hostname: "cirros",
    ip: "192.168.10.168",
});
const issues = (x: any) => {
    const r = dhcpLeaseSchema.safeParse({ ...seed, ...x });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("DhcpLease planner", () => {
    it("one sh -c script per edit, every value a positional argument", () => {
        const set = planSet("net1", seed);
        assert.deepEqual(set.slice(0, 2), ["sh", "-c"]);
        assert.deepEqual(set.slice(3), ["sh", "set", "/var/lib/dvrlab/dhcp/net1", "fa:16:3e:ff:aa:66", "cirros", "192.168.10.168", "", "", ""]);
        const upd = planSet("net1", { ...seed, ip: "192.168.10.169" }, seed);
        assert.deepEqual(upd.slice(4), [
            "set",
            "/var/lib/dvrlab/dhcp/net1",
            "fa:16:3e:ff:aa:66",
            "cirros",
            "192.168.10.169",
            "fa:16:3e:ff:aa:66",
            "cirros",
            "192.168.10.168",
        ]);
        assert.deepEqual(planDelete("net1", seed).slice(4), [
            "delete",
            "/var/lib/dvrlab/dhcp/net1",
            "fa:16:3e:ff:aa:66",
            "cirros",
            "192.168.10.168",
            "",
            "",
            "",
        ]);
        assert.deepEqual(showLease("net1", seed).slice(3), ["sh", "/var/lib/dvrlab/dhcp/net1", "fa:16:3e:ff:aa:66", "cirros", "192.168.10.168"]);
        for (const argv of [set, upd, planDelete("net1", seed), showLease("net1", seed)]) {
            assert.ok(!argv[2].includes("cirros") && !argv[2].includes("192.168"), "no value inside the script text");
        }
    });

    it("parses both lines; a half lease or a missing MAC is gone; a changed IP is drift", () => {
        const out = (host: string, addn: string) => `@@host\n${host}@@addn\n${addn}`;
        assert.deepEqual(parseLease(out("fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "192.168.10.168 cirros\n"), seed), seed);
        assert.equal(parseLease(out("fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", ""), seed), undefined);
        assert.equal(parseLease(out("", "192.168.10.168 cirros\n"), seed), undefined);
        assert.equal(parseLease("@@nofiles\n", seed), undefined);
        assert.deepEqual(parseLease(out("FA:16:3E:FF:AA:66,cirros,192.168.10.170\n", "192.168.10.170   cirros\n"), seed), { ...seed, ip: "192.168.10.170" });
    });

    it("check: MAC, IP inside the server's subnet (not its own), RFC 1123 host name", () => {
        assert.match(issues({ mac: "fa:16:3e:ff:aa" }).join(), /^mac:/);
        assert.match(issues({ ip: "192.168.11.5" }).join(), /^ip: 192.168.11.5 is not a host address of the server's subnet 192.168.10.0\/24/);
        assert.match(issues({ ip: "192.168.10.255" }).join(), /^ip:/);
        assert.match(issues({ ip: "192.168.10.2" }).join(), /^ip: .*server's own address/);
        assert.match(issues({ hostname: "bad_name" }).join(), /^hostname: an RFC 1123/);
        assert.match(issues({ hostname: "-x" }).join(), /^hostname:/);
        assert.match(issues({ hostname: "a,b" }).join(), /^hostname:/);
        assert.match(issues({ hostname: "a".repeat(64) }).join(), /^hostname:/);
        assert.deepEqual(issues({ hostname: "host-192-168-10-168.openstacklocal" }), []);
    });

    describe("the edit script, run here on a temp directory", () => {
        let dir: string;
        const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
        const run = (argv: readonly string[]) => spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
        const lease = (i: number) => ({ mac: `fa:16:3e:00:00:${i.toString(16).padStart(2, "0")}`, hostname: `vm-${i}`, ip: `192.168.10.${100 + i}` });

        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlt-lease-"));
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("adds the seed's lines once, keeps other lines, removes only its own", () => {
            fs.writeFileSync(path.join(dir, "host"), "fa:16:3e:00:00:01,other,192.168.10.5\n");
            fs.writeFileSync(path.join(dir, "addn_hosts"), "192.168.10.5 other\n");
            assert.equal(run(editArgv(dir, "set", seed)).status, 0);
            assert.equal(run(editArgv(dir, "set", seed)).status, 0);
            assert.equal(read("host"), "fa:16:3e:00:00:01,other,192.168.10.5\nfa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
            assert.equal(read("addn_hosts"), "192.168.10.5 other\n192.168.10.168 cirros\n");
            assert.equal(run(editArgv(dir, "delete", seed)).status, 0);
            assert.equal(read("host"), "fa:16:3e:00:00:01,other,192.168.10.5\n");
            assert.equal(read("addn_hosts"), "192.168.10.5 other\n");
            assert.equal(run(editArgv(dir, "delete", seed)).status, 0, "delete again is fine");
            assert.deepEqual(fs.readdirSync(dir).sort(), ["addn_hosts", "host", "lock"], "no temp file left");
        });

        it("refuses a MAC, IP or name already leased to another host, naming the line", () => {
            fs.writeFileSync(path.join(dir, "host"), "FA:16:3E:FF:AA:66,other,192.168.10.5\nfa:16:3e:00:00:02,b,192.168.10.168\n");
            fs.writeFileSync(path.join(dir, "addn_hosts"), "");
            const r = run(editArgv(dir, "set", seed));
            assert.equal(r.status, 6);
            assert.match(r.stderr, new RegExp(`${dir}/host: FA:16:3E:FF:AA:66,other,192.168.10.5\n${dir}/host: fa:16:3e:00:00:02,b,192.168.10.168\n`));
            assert.equal(read("host"), "FA:16:3E:FF:AA:66,other,192.168.10.5\nfa:16:3e:00:00:02,b,192.168.10.168\n", "untouched");
            assert.ok(!fs.existsSync(path.join(dir, "host.tmp")));
        });

        it("update swaps its old lines for the new ones in one edit", () => {
            run(editArgv(dir, "set", seed));
            const moved = { ...seed, ip: "192.168.10.169", hostname: "cirros2" };
            assert.equal(run(editArgv(dir, "set", moved, seed)).status, 0);
            assert.equal(read("host"), "fa:16:3e:ff:aa:66,cirros2,192.168.10.169\n");
            assert.equal(read("addn_hosts"), "192.168.10.169 cirros2\n");
        });

        it("without the server's directory: set fails clearly, delete succeeds", () => {
            const gone = path.join(dir, "nope");
            const r = run(editArgv(gone, "set", seed));
            assert.equal(r.status, 3);
            assert.match(r.stderr, /create the DhcpServer for this network first/);
            assert.equal(run(editArgv(gone, "delete", seed)).status, 0);
        });

        it("SIGHUPs only our dnsmasq (a process whose argv names the pid file)", async () => {
            // a stand-in "dnsmasq": sh with the --pid-file argument, counting HUPs
            const pidf = path.join(dir, "pid");
            const count = path.join(dir, "hups");
            const child = require("child_process").spawn(
                "sh",
                ["-c", `trap 'echo hup >>${count}' HUP; trap 'echo usr1 >>${count}' USR1; while :; do sleep 0.05; done`, `--pid-file=${pidf}`],
                { stdio: "ignore" },
            );
            // Bounded polls, no fixed sleep: signals are not queued, so wait for each to be handled.
            const seen = async (want: string) => {
                for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
                    if (fs.existsSync(count) && fs.readFileSync(count, "utf8").endsWith(want)) return;
                }
                assert.fail(`no ${JSON.stringify(want)} in ${fs.existsSync(count) ? JSON.stringify(fs.readFileSync(count, "utf8")) : "(no file)"} after 5 s`);
            };
            try {
                fs.writeFileSync(pidf, `${child.pid}\n`);
                run(editArgv(dir, "set", seed));
                await seen("hup\n");
                run(editArgv(dir, "set", seed)); // no change: no HUP
                // a barrier: our own USR1 is handled after any HUP the second run sent
                process.kill(child.pid, "SIGUSR1");
                await seen("usr1\n");
                assert.equal(fs.readFileSync(count, "utf8"), "hup\nusr1\n");
            } finally {
                child.kill("SIGKILL");
            }
        });

        it("20 parallel sets then 20 parallel deletes: every line exactly once, then none", async () => {
            fs.writeFileSync(path.join(dir, "host"), "fa:16:3e:00:01:00,keep,192.168.10.250\n");
            fs.writeFileSync(path.join(dir, "addn_hosts"), "192.168.10.250 keep\n");
            const all = Array.from({ length: 20 }, (_, i) => lease(i + 1));
            await Promise.all(all.map((l) => execFileP("sh", editArgv(dir, "set", l).slice(1))));
            const hosts = read("host").split("\n").filter(Boolean).sort();
            assert.deepEqual(hosts, ["fa:16:3e:00:01:00,keep,192.168.10.250", ...all.map((l) => `${l.mac},${l.hostname},${l.ip}`)].sort());
            assert.deepEqual(read("addn_hosts").split("\n").filter(Boolean).sort(), ["192.168.10.250 keep", ...all.map((l) => `${l.ip} ${l.hostname}`)].sort());
            await Promise.all(all.map((l) => execFileP("sh", editArgv(dir, "delete", l).slice(1))));
            assert.equal(read("host"), "fa:16:3e:00:01:00,keep,192.168.10.250\n");
            assert.equal(read("addn_hosts"), "192.168.10.250 keep\n");
        });
    });
});
