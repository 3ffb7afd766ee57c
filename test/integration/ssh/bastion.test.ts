// SSH as Pulumi users configure it (issue 14): a host reachable only through a bastion, the keys
// only in an ssh-agent. A private lab (FaultLab: its own underlay, prefix and directory) with
// `--bastion=server-68 --user server-68:debian`: server-68's sshd takes connections only from the
// bastion's netns, root may not log in there. The provider's SshPool and credentialsFor, for real.
import { strict as assert } from "assert";
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../../../provider/core/config";
import { providerFor } from "../../../provider/core/kind";
import { linuxBridgeKind } from "../../../provider/linuxBridge/kind";
import { Connection, SshPool } from "../../../provider/ssh/executor";
import { FaultLab } from "../../faults/faultLab";

describe("SshPool through a bastion, keys only in an ssh-agent (private lab with --bastion)", function () {
    this.timeout(180_000);
    const lab = new FaultLab();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-bastion-"));
    const sock = path.join(tmp, "agent.sock");
    let agent: ChildProcess | undefined;
    const pools: SshPool[] = [];
    const poolWith = (env: NodeJS.ProcessEnv, knownHosts?: string) => {
        const p = new SshPool((c) => {
            const creds = credentialsFor(c, env);
            return knownHosts === undefined ? creds : { ...creds, knownHosts };
        });
        pools.push(p);
        return p;
    };
    let behind: Connection;
    let bastionIp = "";

    before(async function () {
        if (process.getuid?.() !== 0) this.skip();
        lab.up(["--bastion=server-68", "--user", "server-68:debian"]);
        bastionIp = `${lab.underlay}.2`;
        // No key in the provider's config at all: only the pinned host keys (the bastion's among them).
        setConfigSource({ get: (k) => ({ "dvrlab:knownHostsFile": lab.knownHosts })[k] });
        agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
        for (let i = 0; i < 50 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(fs.existsSync(sock), "ssh-agent did not make its socket");
        execFileSync("ssh-add", ["-q", lab.key, path.join(lab.dir, "ssh", "bastion_ed25519")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "pipe" });
        behind = {
            host: lab.ip("server-68"),
            port: 22,
            user: "debian",
            become: "sudo",
            agent: true,
            name: "server-68",
            bastion: { host: bastionIp, port: 22, user: "jump" },
        };
    });

    after(function () {
        for (const p of pools) p.close();
        agent?.kill("SIGTERM");
        fs.rmSync(tmp, { recursive: true, force: true });
        setConfigSource({ get: () => undefined });
        lab.down();
    });

    it("runs commands on the host behind the bastion, as its user and through sudo, on one pooled connection", async function () {
        const pool = poolWith({ SSH_AUTH_SOCK: sock });
        const r = await pool.run({ ...behind, become: undefined }, ["sh", "-c", "hostname; id -un"]);
        assert.deepEqual(r, { stdout: "server-68\ndebian\n", stderr: "", code: 0 });
        const root = await pool.run(behind, ["id", "-un"]);
        assert.deepEqual(root, { stdout: "root\n", stderr: "", code: 0 });
        // sbin on PATH through sudo: OVS answers
        const br = await pool.run(behind, ["ovs-vsctl", "br-exists", "br-phy"]);
        assert.equal(br.code, 0, br.stderr);
        // many at once share the pooled connection (and its bastion connection)
        const many = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.run(behind, ["echo", String(i)])));
        assert.deepEqual(
            many.map((m) => m.stdout),
            Array.from({ length: 12 }, (_, i) => `${i}\n`),
        );
    });

    it("the direct way is closed: the same host without the bastion cannot be reached", async function () {
        const pool = poolWith({ SSH_AUTH_SOCK: sock });
        const t0 = Date.now();
        await assert.rejects(pool.run({ ...behind, bastion: undefined }, ["true"]), (e: Error) => {
            assert.match(e.message, new RegExp(`^cannot connect to debian@${lab.ip("server-68").replace(/\./g, "\\.")}:22: .*(Timed out|timed out|ETIMEDOUT)`));
            return true;
        });
        assert.ok(Date.now() - t0 < 60_000, `gave up after ${Date.now() - t0} ms`);
    });

    it("an unknown bastion host key is refused, naming its fingerprint; nothing runs", async function () {
        const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", path.join(lab.dir, "hosts", "bastion", "keys", "ssh_host_ed25519_key.pub")], {
            encoding: "utf8",
        }).split(/\s+/)[1];
        assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
        const withoutBastion = fs
            .readFileSync(lab.knownHosts, "utf8")
            .split("\n")
            .filter((l) => !l.startsWith(`${bastionIp} `))
            .join("\n");
        const pool = poolWith({ SSH_AUTH_SOCK: sock }, withoutBastion);
        await assert.rejects(
            pool.run(behind, ["touch", "/tmp/dvrl-bastion-ran"]),
            (e: Error) =>
                e.message ===
                `cannot connect to debian@${lab.ip("server-68")}:22 via jump@${bastionIp}:22: bastion jump@${bastionIp}:22: host key of ${bastionIp} is unknown (${fp}); add it to the known hosts setting (dvrlab:knownHosts / dvrlab:knownHostsFile)`,
        );
        assert.equal(lab.sh("server-68", "test -e /tmp/dvrl-bastion-ran && echo ran || echo no"), "no\n");
    });

    it("an agent without the host's key: refused, and the message says the agent was tried", async function () {
        const only = path.join(tmp, "only-bastion.sock");
        const a2 = spawn("ssh-agent", ["-D", "-a", only], { stdio: "ignore" });
        try {
            for (let i = 0; i < 50 && !fs.existsSync(only); i++) await new Promise((r) => setTimeout(r, 100));
            execFileSync("ssh-add", ["-q", path.join(lab.dir, "ssh", "bastion_ed25519")], { env: { ...process.env, SSH_AUTH_SOCK: only }, stdio: "pipe" });
            const pool = poolWith({ SSH_AUTH_SOCK: only });
            await assert.rejects(pool.run(behind, ["true"]), (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(
                        `^cannot connect to debian@\\S+ via jump@\\S+: All configured authentication methods failed \\(tried the keys of the ssh-agent at SSH_AUTH_SOCK=${only.replace(/[.]/g, "\\.")}\\)$`,
                    ),
                );
                return true;
            });
        } finally {
            a2.kill("SIGTERM");
        }
    });

    it("a unix socket on a host through the bastion (the way verify reaches a guest's channel): OVSDB answers list_dbs with its databases", async function () {
        setConfigSource({ get: (k) => ({ "dvrlab:knownHostsFile": lab.knownHosts })[k] });
        const pool = poolWith({ SSH_AUTH_SOCK: sock });
        // server-64 takes root logins; through the bastion, with the agent's key
        const s = await pool.openUnixSocket(
            { host: lab.ip("server-64"), port: 22, user: "root", agent: true, bastion: { host: bastionIp, port: 22, user: "jump" } },
            "/run/openvswitch/db.sock",
        );
        try {
            const reply = await new Promise<string>((resolve, reject) => {
                let buf = "";
                const t = setTimeout(() => reject(new Error(`no answer: ${buf}`)), 10_000);
                s.on("data", (d) => {
                    buf += d.toString();
                    if (buf.includes("}")) {
                        clearTimeout(t);
                        resolve(buf);
                    }
                });
                s.write(JSON.stringify({ method: "list_dbs", params: [], id: 1 }));
            });
            assert.deepEqual(JSON.parse(reply).result, ["Open_vSwitch", "_Server"]);
        } finally {
            s.destroy();
        }
    });

    it("a LinuxBridge made directly keeps its identity when its host moves behind the bastion (no replace, no host change)", async function () {
        // server-64 is not behind the bastion: it takes both ways in, so the switch can be made on a live object.
        setConfigSource({ get: (k) => ({ "dvrlab:knownHostsFile": lab.knownHosts, "dvrlab:sshPrivateKeyFile": lab.key })[k] });
        const pool = poolWith(process.env);
        const lb = providerFor(linuxBridgeKind, () => pool);
        const direct = { host: lab.ip("server-64"), name: "server-64" };
        const viaBastion = { ...direct, bastion: { host: bastionIp, user: "jump", keyRef: "jumpKey" } };
        setConfigSource({
            get: (k) =>
                ({
                    "dvrlab:knownHostsFile": lab.knownHosts,
                    "dvrlab:sshPrivateKeyFile": lab.key,
                    "dvrlab:jumpKeyFile": path.join(lab.dir, "ssh", "bastion_ed25519"),
                })[k],
        });
        const inputs = async (connection: any) => (await lb.check({}, { connection, owner: "dvrlab:t/bastion", name: "dvrltqbr-b" })).inputs;
        const made: any = await lb.create(await inputs(direct));
        try {
            const ifindex = lab.sh("server-64", "cat /sys/class/net/dvrltqbr-b/ifindex");
            const news = await inputs(viaBastion);
            assert.deepEqual(await lb.diff(made.id, made.outs, news), { changes: true, replaces: [], deleteBeforeReplace: false });
            const updated: any = await lb.update(made.id, made.outs, news);
            assert.deepEqual(updated.outs.connection.bastion, { host: bastionIp, port: 22, user: "jump", keyRef: "jumpKey" });
            // read goes through the bastion now, and finds the same bridge
            const read: any = await lb.read(made.id, updated.outs);
            assert.equal(read.props?.name, "dvrltqbr-b");
            assert.equal(lab.sh("server-64", "cat /sys/class/net/dvrltqbr-b/ifindex"), ifindex);
            await lb.delete(made.id, updated.outs);
            assert.equal(lab.sh("server-64", "test -e /sys/class/net/dvrltqbr-b && echo left || echo gone"), "gone\n");
        } finally {
            lab.sh("server-64", "ip link del dvrltqbr-b 2>/dev/null; true");
        }
    });
});
