import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { startSshd, TestSshd } from "../helpers/sshd";

// The DVR stack's own program (stacks/dvr) with hostile topology config in a throwaway stack: its
// config is a copy of Pulumi.dev.yaml (so keys added to the topology later are there), with every
// host pointed at an sshd this test starts, then hostile values written with
// `pulumi config set --path`. `pulumi preview` must fail naming each config key, and the sshd
// must see no connection. The stack's config lives in a temp file (--config-file) and the stack is
// created from a temp copy of Pulumi.yaml, so nothing is written under the repo root.
const yaml = require("js-yaml");
const STACK = `hostile-${process.pid}`;

async function settled(s: TestSshd): Promise<string> {
    let last = "";
    for (let i = 0; i < 20 && s.log() !== last; i++) {
        last = s.log();
        await new Promise((r) => setTimeout(r, 150));
    }
    return s.log();
}
const connections = async (s: TestSshd) => ((await settled(s)).match(/^Connection from /gm) ?? []).length;

describe("hostile DVR topology config: preview refuses it naming the config key, no host touched", function () {
    this.timeout(180_000);
    let sshd: TestSshd;
    let stack: TestStack;
    let work: string;
    let cfgFile: string;
    let dev: any;

    before(async () => {
        sshd = await startSshd();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-hostile-topo-"));
        // Create the stack from a copy of the project file, so its Pulumi.<stack>.yaml lands in `work`.
        const initDir = path.join(work, "init");
        fs.mkdirSync(initDir);
        fs.copyFileSync(path.join(repoRoot, "Pulumi.yaml"), path.join(initDir, "Pulumi.yaml"));
        new TestStack(initDir, STACK, work).init();
        stack = new TestStack(repoRoot, STACK, work);

        dev = yaml.load(fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8"));
        const config = { ...dev.config };
        const topo = JSON.parse(JSON.stringify(config["dvrlab:topology"]));
        for (const h of topo.hosts) {
            h.address = sshd.host;
            h.port = sshd.port;
        }
        config["dvrlab:topology"] = topo;
        delete config["dvrlab:sshPrivateKeyFile"];
        delete config["dvrlab:knownHostsFile"];
        config["dvrlab:sshPrivateKeyFile"] = sshd.clientKeyFile;
        config["dvrlab:knownHosts"] = sshd.knownHosts;
        cfgFile = path.join(work, `Pulumi.${STACK}.yaml`);
        const salt = fs.readFileSync(path.join(initDir, `Pulumi.${STACK}.yaml`), "utf8").match(/^encryptionsalt: .*$/m)?.[0];
        fs.writeFileSync(cfgFile, yaml.dump({ config }) + (salt ? `${salt}\n` : ""));
    });
    after(async () => {
        stack?.run(["stack", "rm", "--yes", "--force", "--config-file", cfgFile], { allowFail: true });
        assert.ok(!fs.existsSync(path.join(repoRoot, `Pulumi.${STACK}.yaml`)), "a stack file was left under the repo root");
        if (work) fs.rmSync(work, { recursive: true, force: true });
        await sshd?.stop();
    });

    it("names every hostile host name, address, port, user, VM id, MAC, IP and host reference", async () => {
        const topo = dev.config["dvrlab:topology"];
        assert.ok(topo.hosts.length >= 2 && topo.vms.length >= 2, "the dev topology has at least two hosts and two VMs");
        const bad: [string, string][] = [
            ["hosts[0].name", "server;reboot"],
            ["hosts[1].address", "$(reboot)"],
            ["hosts[1].user", "root`id`"],
            ["hosts[0].port", "0"],
            ["vms[0].id", "cirros'x"],
            ["vms[0].mac", "fa:16:3e:ff:aa:6"],
            ["vms[0].ip", "192.168.10.300"],
            ["vms[1].id", "dvrlt-abcdefghij"],
            ["vms[1].mac", "fa:16:3e:ff:aa:66;reboot"],
            ["vms[1].ip", "192.168.10.10\nreboot"],
            ["vms[1].host", 'server-64" && reboot'],
        ];
        if (topo.hosts.length >= 3) bad.push(["hosts[2].address", "172.30.124.68 -oProxyCommand=reboot"]);
        if (Array.isArray(topo.networks) && topo.networks.length) {
            bad.push(["networks[0].cidr", "192.168.10.0/33"], ["networks[0].vni", "16777216"], ["networks[0].vlan", "4096"]);
        }
        for (const [key, value] of bad) stack.run(["config", "set", "--path", `dvrlab:topology.${key}`, value, "--config-file", cfgFile]);

        const before = await connections(sshd);
        const r = stack.run(["preview", "--config-file", cfgFile], { allowFail: true });
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, out);
        assert.match(out, /invalid configuration/);
        const missing = bad.map(([k]) => `dvrlab:topology.${k}:`).filter((k) => !out.includes(k));
        assert.deepEqual(missing, [], `config keys not named:\n${out}`);
        assert.doesNotMatch(out, /dvrlab:\w+ +\S+ +create/, "a resource was planned");
        assert.equal(await connections(sshd), before, `an SSH connection was opened:\n${sshd.log()}`);
    });
});
