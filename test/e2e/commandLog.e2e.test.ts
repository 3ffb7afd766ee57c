import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { startSshd, TestSshd } from "../helpers/sshd";

// `pulumi up --debug` with the real CLI shows every command a resource ran: where, what, how it ended.
const project = path.join(repoRoot, "test/e2e/projects/debuglog");

describe("commands in pulumi's debug log (real CLI)", function () {
    this.timeout(240_000);
    let sshd: TestSshd;
    let stack: TestStack;
    let work: string;
    let target: string;

    before(async () => {
        sshd = await startSshd();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-log-"));
        const source = path.join(work, "note.txt");
        fs.writeFileSync(source, "what ran where\n");
        target = path.join(work, "remote", "note.txt");
        stack = new TestStack(project, `log${process.pid}`, work);
        stack.init();
        stack.setConfig("test:host", sshd.host);
        stack.setConfig("test:port", String(sshd.port));
        stack.setConfig("test:path", target);
        stack.setConfig("test:source", source);
        stack.setConfig("test:sha256", createHash("sha256").update("what ran where\n").digest("hex"));
        stack.setConfig("dvrlab:sshPrivateKey", sshd.clientKey, true);
        stack.setConfig("dvrlab:knownHosts", sshd.knownHosts);
    });
    after(async () => {
        stack?.run(["destroy", "--yes"], { allowFail: true });
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, `Pulumi.${stack?.stack}.yaml`), { force: true });
        fs.rmSync(work, { recursive: true, force: true });
        await sshd?.stop();
    });

    it("up --debug shows each command with its host, exit code and duration; plain up does not", () => {
        const where = `root@127.0.0.1:${sshd.port}`;
        const r = stack.run(["up", "--yes", "--debug"]);
        const out = r.stdout + r.stderr;
        assert.equal(fs.readFileSync(target, "utf8"), "what ran where\n", "the file was uploaded");
        // the create's first look (stat of the target), then the upload's parent directory
        const head = new RegExp(`dvrlab HostFile 127\\.0\\.0\\.1:${target.replace(/[.]/g, "\\.")} create: ${where} exit (\\d+) in \\d+ ms`, "g");
        const heads = [...out.matchAll(head)];
        assert.ok(heads.length >= 3, `several commands of the create are logged:\n${out}`);
        assert.match(out, new RegExp(`\\$ mkdir -p -- ${path.dirname(target).replace(/[.]/g, "\\.")}\\n`));
        assert.match(out, new RegExp(`\\$ sha256sum -- ${target.replace(/[.]/g, "\\.")}`));
        assert.match(out, /exit 1 in \d+ ms\n *\$ stat -c '%a %F' -- /, "a probe's non-zero exit is logged too");

        stack.run(["destroy", "--yes"]);
        const quiet = stack.run(["up", "--yes"]);
        assert.doesNotMatch(quiet.stdout + quiet.stderr, /dvrlab HostFile/);
    });
});
