import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { LAB, LAB_KEY, LAB_KNOWN_HOSTS, labIsUp, requireLab, tryOnHost } from "../helpers/lab";

// The real pulumi CLI, one OvsBridge on a lab host:
// - a known-hosts setting that lacks the host, pins a different key, or pins another host's key is
//   refused with the host and the presented fingerprint named, and nothing is created;
// - with the lab key given as a secret, then as a passphrase-protected copy with the passphrase as a
//   secret, up / refresh / destroy work and no state file (checkpoint, history, backups) ever holds
//   the key, any base64 line or stretch of it, its bytes in hex, or the passphrase.
const HOST = LAB["server-68"];
const BR = `dvrlt-k${process.pid % 100000}`;
const project = path.join(repoRoot, "test/e2e/projects/hostile");

const brExists = () => tryOnHost(HOST, `ovs-vsctl br-exists ${BR}`).code === 0;
const fingerprint = (pubFile: string) => execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pubFile], { encoding: "utf8" }).split(/\s+/)[1];

/** Every form of a PEM private key a leak could take: its lines, stretches of its base64 and of its bytes in hex. */
function keyNeedles(pem: string): string[] {
    const lines = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
    const body = lines.join("");
    const hex = Buffer.from(body, "base64").toString("hex");
    const whole = Buffer.from(pem).toString("base64");
    const windows = (s: string, n: number) => Array.from({ length: Math.max(1, Math.floor((s.length - n) / 16) + 1) }, (_, i) => s.slice(i * 16, i * 16 + n));
    return [...lines.filter((l) => l.length >= 16), ...windows(body, 32), ...windows(hex, 48), ...windows(whole, 32)];
}

describe("host keys are pinned and the SSH key never reaches the state (pulumi CLI, lab host)", function () {
    this.timeout(300_000);
    let stack: TestStack;
    let work: string;
    let cfgPath: string;
    const outputs: string[] = [];
    const passphrase = `dvrlt-pp-${randomBytes(12).toString("hex")}`;
    let plainKey: string;
    let lockedKey: string;

    const run = (args: string[], allowFail = false) => {
        const r = stack.run(args, { allowFail });
        outputs.push(r.stdout, r.stderr);
        return r;
    };

    before(function () {
        requireLab(this);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-hostile-keys-"));
        plainKey = fs.readFileSync(LAB_KEY, "utf8");
        const locked = path.join(work, "id_ed25519");
        fs.copyFileSync(LAB_KEY, locked);
        fs.chmodSync(locked, 0o600);
        execFileSync("ssh-keygen", ["-q", "-p", "-P", "", "-N", passphrase, "-f", locked]);
        lockedKey = fs.readFileSync(locked, "utf8");
        assert.match(lockedKey, /BEGIN OPENSSH PRIVATE KEY/);
        assert.notEqual(lockedKey, plainKey);

        stack = new TestStack(project, `hostkeys${process.pid}`, work);
        stack.init();
        cfgPath = path.join(project, `Pulumi.${stack.stack}.yaml`);
        stack.setConfig("test:host", HOST);
        stack.setConfig("test:resources", JSON.stringify([{ kind: "OvsBridge", name: "br", args: { name: BR, datapathType: "netdev" } }]));
        stack.setConfig("dvrlab:sshPrivateKey", plainKey, true);
        tryOnHost(HOST, `ovs-vsctl --if-exists del-br ${BR}`);
    });
    after(() => {
        if (!labIsUp) return;
        tryOnHost(HOST, `ovs-vsctl --if-exists del-br ${BR}`);
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        if (cfgPath) fs.rmSync(cfgPath, { force: true });
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const labLines = () => fs.readFileSync(LAB_KNOWN_HOSTS, "utf8").split("\n").filter(Boolean);
    const realFp = () => fingerprint(path.join(repoRoot, ".lab/hosts/server-68/keys/ssh_host_ed25519_key.pub"));

    function refused(knownHosts: string, expect: RegExp) {
        stack.setConfig("dvrlab:knownHosts", knownHosts);
        const r = run(["up", "--yes", "--skip-preview"], true);
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, out);
        assert.match(out, expect);
        assert.equal(brExists(), false, "the bridge was created");
        const res = stack.exportState().deployment.resources ?? [];
        assert.equal(res.filter((x: any) => x.type.endsWith("OvsBridge")).length, 0, "the state holds a bridge");
    }

    it("refuses a host missing from the known hosts, naming it and its fingerprint", () => {
        const others = labLines().filter((l) => !l.startsWith(`${HOST} `));
        assert.equal(others.length, labLines().length - 1);
        refused(others.join("\n") + "\n", new RegExp(`host key of ${HOST.replace(/\./g, "\\.")} is unknown \\(${realFp().replace(/[+/]/g, "\\$&")}\\)`));
    });

    it("refuses a changed host key (a key nobody has), naming the presented fingerprint", () => {
        const k = path.join(work, "other_ed25519");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k]);
        const [type, blob] = fs
            .readFileSync(k + ".pub", "utf8")
            .trim()
            .split(/\s+/);
        const lines = labLines().map((l) => (l.startsWith(`${HOST} `) ? `${HOST} ${type} ${blob}` : l));
        refused(
            lines.join("\n") + "\n",
            new RegExp(`host key of ${HOST.replace(/\./g, "\\.")} CHANGED: presented ${realFp().replace(/[+/]/g, "\\$&")} does not match`),
        );
    });

    it("refuses another lab host's key pinned for this address (impersonation)", () => {
        const other = labLines()
            .find((l) => l.startsWith(`${LAB["server-64"]} `))!
            .split(/\s+/);
        const lines = labLines().map((l) => (l.startsWith(`${HOST} `) ? `${HOST} ${other[1]} ${other[2]}` : l));
        refused(lines.join("\n") + "\n", new RegExp(`host key of ${HOST.replace(/\./g, "\\.")} CHANGED`));
    });

    it("up with the key as a secret creates the bridge", () => {
        stack.setConfig("dvrlab:knownHosts", fs.readFileSync(LAB_KNOWN_HOSTS, "utf8"));
        run(["up", "--yes", "--skip-preview"]);
        assert.equal(brExists(), true);
    });

    // refresh and destroy configure the provider from the config stored in the state at the last
    // up, unless --run-program: that is how a changed key is used before the next up.
    it("a passphrase-protected key: a wrong passphrase fails without echoing it; the right one refreshes", () => {
        stack.setConfig("dvrlab:sshPrivateKey", lockedKey, true);
        const wrong = `dvrlt-wrong-${randomBytes(8).toString("hex")}`;
        stack.setConfig("dvrlab:sshPassphrase", wrong, true);
        const bad = run(["refresh", "--yes", "--skip-preview", "--run-program"], true);
        const out = bad.stdout + bad.stderr;
        assert.notEqual(bad.code, 0, out);
        assert.match(out, /cannot connect to root@172\.30\.124\.68:22: .*passphrase/);
        assert.ok(!out.includes(wrong), "the passphrase was echoed");
        stack.setConfig("dvrlab:sshPassphrase", passphrase, true);
        run(["refresh", "--yes", "--skip-preview", "--run-program", "--expect-no-changes"]);
        run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
        assert.equal(brExists(), true);
    });

    function assertNoSecrets(where: string, text: string) {
        const leaks: string[] = [];
        const flat = text.replace(/\\n|\\r|\s/g, "");
        for (const [name, pem] of [
            ["the lab key", plainKey],
            ["the passphrase-protected key", lockedKey],
        ] as const) {
            const hit = keyNeedles(pem).find((n) => flat.includes(n.replace(/\s/g, "")));
            if (hit) leaks.push(`${name} (${hit.slice(0, 12)}…)`);
        }
        for (const p of [passphrase, Buffer.from(passphrase).toString("base64").replace(/=+$/, ""), Buffer.from(passphrase).toString("hex")]) {
            if (text.includes(p)) leaks.push(`the passphrase (${p.slice(0, 12)}…)`);
        }
        assert.deepEqual(leaks, [], `${where} holds ${leaks.join(", ")}`);
    }

    it("the state holds the provider's key and passphrase only as encrypted secrets", () => {
        const ckpt = fs.readdirSync(path.join(stack.stateDir, ".pulumi/stacks/dvrlab-e2e-hostile")).find((f) => f === `${stack.stack}.json`)!;
        const state = JSON.parse(fs.readFileSync(path.join(stack.stateDir, ".pulumi/stacks/dvrlab-e2e-hostile", ckpt), "utf8"));
        const prov = state.checkpoint.latest.resources.find((r: any) => r.type === "pulumi:providers:pulumi-nodejs");
        for (const k of ["dvrlab:sshPrivateKey", "dvrlab:sshPassphrase"]) {
            const v = prov.inputs[k];
            assert.ok(
                v && typeof v === "object" && typeof v.ciphertext === "string" && v.ciphertext.length > 0,
                `${k} in the provider's state inputs: ${JSON.stringify(v)?.slice(0, 40)}`,
            );
        }
        const br = state.checkpoint.latest.resources.find((r: any) => r.type.endsWith("OvsBridge"));
        // Its connection names the key setting (keyRef "sshPrivateKey"), never a value, secret or not.
        assert.equal(br.inputs.connection.keyRef ?? "sshPrivateKey", "sshPrivateKey");
        assert.doesNotMatch(JSON.stringify(br), /PRIVATE KEY|ciphertext|sshPassphrase/, "the bridge's inputs/outputs carry key material");
    });

    it("destroy (with the passphrase-protected key from the state) removes the bridge; no state file, no output and the stack config ever held the key or passphrase", () => {
        run(["destroy", "--yes", "--skip-preview"]);
        assert.equal(brExists(), false);
        const files: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else files.push(p);
            }
        };
        // The search finds what it looks for: the key JSON-escaped, re-wrapped as base64, as hex; the passphrase.
        for (const control of [
            JSON.stringify({ k: plainKey }),
            Buffer.from(lockedKey).toString("base64"),
            Buffer.from(lockedKey.split("\n").slice(1, -2).join(""), "base64").toString("hex"),
            `x${passphrase}x`,
        ]) {
            assert.throws(() => assertNoSecrets("control", control), /holds/);
        }
        walk(stack.stateDir);
        const history = files.filter((f) => /history/.test(f));
        assert.ok(files.length >= 3 && history.length > 0, `state dir has checkpoint and history: ${files.join(", ")}`);
        for (const f of files) assertNoSecrets(path.relative(stack.stateDir, f), fs.readFileSync(f, "utf8"));
        assertNoSecrets("pulumi's output", outputs.join("\n"));
        assertNoSecrets(`Pulumi.${stack.stack}.yaml`, fs.readFileSync(cfgPath, "utf8"));
        assert.match(fs.readFileSync(cfgPath, "utf8"), /dvrlab:sshPassphrase:\s*\n\s*secure: /, "the passphrase is stored encrypted");
    });
});
