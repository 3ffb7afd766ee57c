import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { connections, startSshd, TestSshd } from "../helpers/sshd";
import { shimText } from "../../provider/core/shim";

// The real pulumi CLI drives a LinuxBridge through its whole life on a real sshd target.
const NAME = `dvrlt-e${process.pid % 100000}`;
const project = path.join(repoRoot, "test/e2e/projects/bridge");

function link(name: string): any | undefined {
    try {
        return JSON.parse(execFileSync("ip", ["-d", "-j", "link", "show", "dev", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))[0];
    } catch {
        return undefined;
    }
}
const sessions = connections;

describe("LinuxBridge end to end with the pulumi CLI", function () {
    this.timeout(240_000);
    let sshd: TestSshd;
    let stack: TestStack;
    let work: string;

    before(async () => {
        sshd = await startSshd();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-"));
        stack = new TestStack(project, `e2e${process.pid}`, work);
        stack.init();
        stack.setConfig("test:host", sshd.host);
        stack.setConfig("test:port", String(sshd.port));
        stack.setConfig("test:bridgeName", NAME);
        stack.setConfig("dvrlab:sshPrivateKey", sshd.clientKey, true);
        stack.setConfig("dvrlab:knownHosts", sshd.knownHosts);
    });
    after(async () => {
        if (link(NAME)) execFileSync("ip", ["link", "del", "dev", NAME]);
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, `Pulumi.${stack?.stack}.yaml`), { force: true });
        fs.rmSync(work, { recursive: true, force: true });
        await sshd?.stop();
    });

    it("refuses bad input at preview, naming the field, without touching the host", async () => {
        stack.setConfig("test:bridgeName", "qbr;rm -rf /");
        const before = await sessions(sshd);
        const r = stack.run(["preview"], { allowFail: true });
        assert.notEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /property name value \{qbr;rm -rf \/\} has a problem: letters, digits/);
        assert.equal(await sessions(sshd), before, "no SSH connection was made");
        stack.setConfig("test:bridgeName", NAME);
    });

    it("preview shows the bridge to create and creates nothing", () => {
        const r = stack.run(["preview"]);
        assert.match(r.stdout, /\+ +pulumi-nodejs:dynamic\/dvrlab:LinuxBridge +qbr +create/);
        assert.equal(link(NAME), undefined);
    });

    it("up creates it with the right settings", async () => {
        const before = await sessions(sshd);
        stack.run(["up", "--yes"]);
        assert.ok((await sessions(sshd)) > before, "up connected: so the no-connection check above can fail");
        const l = link(NAME);
        assert.equal(l.linkinfo.info_kind, "bridge");
        assert.equal(l.linkinfo.info_data.stp_state, 0);
        assert.equal(l.linkinfo.info_data.forward_delay, 0);
        assert.equal(l.linkinfo.info_data.mcast_snooping, 0);
        assert.equal(l.ifalias, `dvrlab:dvrlab-e2e-bridge/${stack.stack}`);
    });

    it("a second preview shows no changes", () => {
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("the state holds no private key and a small provider", () => {
        const text = stack.stateText();
        const keyBody = sshd.clientKey.split("\n").filter((l) => l && !l.startsWith("-----"));
        for (const line of keyBody) assert.ok(!text.includes(line), "private key material found in the state");
        const cfg = fs.readFileSync(path.join(project, `Pulumi.${stack.stack}.yaml`), "utf8");
        for (const line of keyBody) assert.ok(!cfg.includes(line), "private key in plain text in the stack config");
        const res = stack.exportState().deployment.resources.find((r: any) => r.type.endsWith("LinuxBridge"));
        // the hand-written shim, not a serialized closure: it is in the state twice per resource
        assert.equal(res.inputs.__provider, shimText("LinuxBridge"));
        assert.equal(res.outputs.__provider, res.inputs.__provider);
        assert.ok(res.inputs.__provider.length < 700, `the provider shim is ${res.inputs.__provider.length} bytes`);
    });

    it("refresh finds out-of-band drift and up repairs it", () => {
        execFileSync("ip", ["link", "set", "dev", NAME, "type", "bridge", "mcast_snooping", "1"]);
        const r = stack.run(["refresh", "--yes", "--diff"]);
        assert.match(r.stdout, /multicastSnooping\s*:\s*false\s*=>\s*true/);
        const p = stack.run(["preview", "--diff"]);
        assert.match(p.stdout, /multicastSnooping\s*:\s*true\s*=>\s*false/);
        // only the drift: defaulted inputs (up, connection.keyRef) compare equal, not shown as removed
        assert.doesNotMatch(p.stdout, /^\s*-\s*(up|keyRef|owner)\s*:/m, p.stdout);
        stack.run(["up", "--yes"]);
        assert.equal(link(NAME).linkinfo.info_data.mcast_snooping, 0);
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("refresh drops a bridge deleted by hand; up recreates it", () => {
        execFileSync("ip", ["link", "del", "dev", NAME]);
        const r = stack.run(["refresh", "--yes"]);
        assert.match(r.stdout, /deleted/);
        stack.run(["up", "--yes"]);
        assert.ok(link(NAME));
    });

    it("a settings change updates in place", () => {
        const ifindex = link(NAME).ifindex;
        stack.setConfig("test:multicastSnooping", "true");
        const r = stack.run(["up", "--yes"]);
        assert.match(r.stdout, /1 updated/);
        assert.equal(link(NAME).ifindex, ifindex);
        assert.equal(link(NAME).linkinfo.info_data.mcast_snooping, 1);
    });

    it("destroy removes the bridge", () => {
        stack.run(["destroy", "--yes"]);
        assert.equal(link(NAME), undefined);
    });
});

// test/fixtures/state-linuxbridge-shim1.json is a `pulumi stack export` written by dvrlab 0.1.0
// (shim 1, LinuxBridge v1) — its serialized provider is frozen there. Whatever the code becomes,
// such a state must still refresh, preview clean and destroy.
describe("a state written by an earlier dvrlab", function () {
    this.timeout(240_000);
    const LEGACY = "dvrlt-legacy";
    let sshd: TestSshd;
    let stack: TestStack;
    let work: string;

    before(async () => {
        sshd = await startSshd();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-"));
        stack = new TestStack(project, "legacy", work);
        stack.init();
        stack.setConfig("test:host", sshd.host);
        stack.setConfig("test:port", String(sshd.port));
        stack.setConfig("test:bridgeName", LEGACY);
        stack.setConfig("dvrlab:sshPrivateKey", sshd.clientKey, true);
        stack.setConfig("dvrlab:knownHosts", sshd.knownHosts);
        const fixture = fs
            .readFileSync(path.join(repoRoot, "test/fixtures/state-linuxbridge-shim1.json"), "utf8")
            .replaceAll("__PORT__", String(sshd.port))
            .replaceAll("__DIR__", sshd.dir);
        const file = path.join(work, "legacy.json");
        fs.writeFileSync(file, fixture);
        stack.run(["stack", "import", "--file", file]);
        // The object that state describes, as that version left it on the host.
        if (link(LEGACY)) execFileSync("ip", ["link", "del", "dev", LEGACY]);
        execFileSync("sh", [
            "-c",
            `ip link add name ${LEGACY} type bridge stp_state 0 forward_delay 0 mcast_snooping 0 && ip link set dev ${LEGACY} alias dvrlab:dvrlab-e2e-bridge/legacy up`,
        ]);
    });
    after(async () => {
        if (link(LEGACY)) execFileSync("ip", ["link", "del", "dev", LEGACY]);
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, "Pulumi.legacy.yaml"), { force: true });
        fs.rmSync(work, { recursive: true, force: true });
        await sshd?.stop();
    });

    it("keeps its old serialized provider, refreshes and previews clean with the current code", () => {
        const before = stack.exportState().deployment.resources.find((r: any) => r.type.endsWith("LinuxBridge"));
        const fixtureText = fs.readFileSync(path.join(repoRoot, "test/fixtures/state-linuxbridge-shim1.json"), "utf8").replaceAll("__PORT__", "0");
        const frozen = JSON.parse(fixtureText).deployment.resources.find((r: any) => r.type.endsWith("LinuxBridge"));
        assert.equal(before.inputs.__provider, frozen.inputs.__provider);
        stack.run(["refresh", "--yes", "--expect-no-changes"]);
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("sees drift and destroys with the current code", () => {
        execFileSync("ip", ["link", "set", "dev", LEGACY, "down"]);
        const r = stack.run(["refresh", "--yes", "--diff"]);
        assert.match(r.stdout, /up\s*:\s*true\s*=>\s*false/);
        stack.run(["destroy", "--yes"]);
        assert.equal(link(LEGACY), undefined);
    });
});
