// The real pulumi CLI against a host reachable only through a bastion, the keys only in an
// ssh-agent (SSH_AUTH_SOCK of pulumi's environment; no key in the stack's config), and a host whose
// connection moves from direct to the bastion: its name is its identity, so no replace.
// A private lab (FaultLab) with --bastion=server-68 --user server-68:debian.
import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { FaultLab } from "../faults/faultLab";

const project = path.join(repoRoot, "test/e2e/projects/bastion");
const BR68 = "dvrltqbr-j68";
const BR64 = "dvrltqbr-j64";

describe("SSH through a bastion with an ssh-agent, end to end with the pulumi CLI", function () {
    this.timeout(300_000);
    const lab = new FaultLab();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-bastion-"));
    const sock = path.join(work, "agent.sock");
    let agent: ChildProcess | undefined;
    let stack: TestStack;
    let bastion: any;
    const exists = (host: string, dev: string) => lab.sh(host, 'test -e "/sys/class/net/$1" && echo yes || echo no', dev).trim() === "yes";
    const bridges = (via64: boolean) => [
        { name: "qbr68", bridge: BR68, connection: { host: lab.ip("server-68"), name: "server-68", user: "debian", become: "sudo", agent: true, bastion } },
        {
            name: "qbr64",
            bridge: BR64,
            connection: { host: lab.ip("server-64"), name: "server-64", agent: true, ...(via64 ? { bastion: { ...bastion, keyRef: "jumpKey" } } : {}) },
        },
    ];

    before(async function () {
        if (process.getuid?.() !== 0) this.skip();
        lab.up(["--bastion=server-68", "--user", "server-68:debian"]);
        bastion = { host: `${lab.underlay}.2`, user: "jump" };
        agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
        for (let i = 0; i < 50 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
        execFileSync("ssh-add", ["-q", lab.key, path.join(lab.dir, "ssh", "bastion_ed25519")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "pipe" });
        stack = new TestStack(project, `bastion${process.pid}`, work);
        stack.env.SSH_AUTH_SOCK = sock;
        stack.init();
        // Only pinned host keys in config (the bastion's among them); keys come from the agent.
        stack.setConfig("dvrlab:knownHostsFile", lab.knownHosts);
        stack.setConfig("test:bridges", JSON.stringify(bridges(false)));
    });

    after(function () {
        if (stack) {
            stack.run(["destroy", "--yes", "--skip-preview"], { allowFail: true, timeoutMs: 180_000 });
            stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
            fs.rmSync(path.join(project, `Pulumi.${stack.stack}.yaml`), { force: true });
        }
        agent?.kill("SIGTERM");
        fs.rmSync(work, { recursive: true, force: true });
        lab.down();
    });

    it("up makes a bridge on the host behind the bastion, and one on a host reached directly, with the keys only in the agent", function () {
        stack.run(["up", "--yes", "--skip-preview"], { timeoutMs: 180_000 });
        assert.equal(exists("server-68", BR68), true);
        assert.equal(exists("server-64", BR64), true);
        stack.run(["preview", "--expect-no-changes"]);
        const state = JSON.stringify(stack.exportState());
        assert.doesNotMatch(state, /PRIVATE KEY/);
    });

    it("the direct host put behind the bastion: preview shows an update of its connection, no replace; up keeps the bridge", function () {
        const ifindex = lab.sh("server-64", 'cat "/sys/class/net/$1/ifindex"', BR64);
        stack.setConfig("test:bridges", JSON.stringify(bridges(true)));
        // its bastion's keyRef "jumpKey" is not configured: with agent: true the agent's keys serve
        const pv = stack.run(["preview"]);
        assert.match(pv.stdout, /~ +pulumi-nodejs:dynamic\/dvrlab:LinuxBridge +qbr64 +update +\[diff: ~connection\]/);
        assert.doesNotMatch(pv.stdout, /replace/);
        assert.match(pv.stdout, /~ 1 to update\n +2 unchanged/);
        assert.match(stack.run(["preview", "--diff"]).stdout, /~ connection +: \{\n(.*\n)*? +\+ bastion: \{\n +\+ host {2}: "172\.30\.\d+\.2"/);
        stack.run(["up", "--yes", "--skip-preview"], { timeoutMs: 180_000 });
        assert.equal(lab.sh("server-64", 'cat "/sys/class/net/$1/ifindex"', BR64), ifindex);
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("a new name is another host: preview shows a replace", function () {
        const b = bridges(true);
        b[1].connection.name = "server-64b";
        stack.setConfig("test:bridges", JSON.stringify(b));
        const pv = stack.run(["preview"]);
        assert.match(pv.stdout, /\+-? +pulumi-nodejs:dynamic\/dvrlab:LinuxBridge +qbr64 +replace/);
        stack.setConfig("test:bridges", JSON.stringify(bridges(true)));
    });

    it("destroy through the bastion removes both bridges", function () {
        stack.run(["destroy", "--yes", "--skip-preview"], { timeoutMs: 180_000 });
        assert.equal(exists("server-68", BR68), false);
        assert.equal(exists("server-64", BR64), false);
    });
});
