// dvrlab as a user gets it: `npm pack` → the tarball installed into a copy of examples/two-hosts in
// a directory outside the repository → the real pulumi CLI: up, a no-op preview, pings between the
// two namespace guests (routed, across VXLAN), destroy leaving nothing. Nothing of the checkout is
// reachable from there (no DVRLAB_ROOT, no repo above the project): the provider runs the
// package's compiled JavaScript.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { hostSh, LAB, LAB_KEY, LAB_KNOWN_HOSTS, requireLab } from "../helpers/lab";
import { repoRoot, TestStack } from "../helpers/pulumi";

const A = LAB["server-233"];
const B = LAB["server-64"];

/** What the example leaves on a host, one line per object (empty: nothing). */
function leftovers(ip: string): string {
    return hostSh(
        ip,
        [
            'ovs-vsctl list-br | grep -vx br-phy | sed "s/^/bridge /"',
            'for d in /sys/class/net/*; do case "${d##*/}" in qbr-*|qvb-*|qvo-*|tap-*|qr-*) echo "link ${d##*/}";; esac; done',
            'ip netns list | sed "s/^/netns /"',
            'iptables -S | grep dvrl | sed "s/^/iptables /"',
            "true",
        ].join("; "),
    ).stdout.trim();
}

/**
 * Loads a stored __provider text in a node process in `dir` (as Pulumi's dynamic-provider host does,
 * with require-from-string), runs a check, and returns every module file that process loaded.
 */
function providerModules(dir: string, shim: string): string[] {
    const script = `
        const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
        const p = requireFromString(process.env.SHIM).handler();
        p.check({}, { name: "dvrlt-x", connection: { host: "127.0.0.1" }, owner: "dvrlab:x/y" })
            .then((r) => { if (r.failures && r.failures.length) throw new Error(JSON.stringify(r.failures)); process.stdout.write(JSON.stringify(Object.keys(require.cache))); })
            .catch((e) => { console.error(e.message); process.exit(1); });`;
    const env = { PATH: process.env.PATH, SHIM: shim };
    return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, env, encoding: "utf8" }));
}

const ping = (ip: string, ns: string, to: string) => hostSh(ip, 'ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2"', ns, to);

describe("the npm package in a user's project (examples/two-hosts, pulumi CLI)", function () {
    this.timeout(900_000);
    let work: string;
    let proj: string;
    let stack: TestStack;
    let deployed = false;

    before(function () {
        requireLab(this);
        // The example builds br-int/br-tun: the hosts must hold no other stack's network.
        for (const ip of [A, B]) assert.equal(leftovers(ip), "", `lab host ${ip} is not empty (a deployed stack?): destroy it first`);
        work = fs.mkdtempSync("/var/tmp/dvrl-package-e2e-");
        proj = path.join(work, "two-hosts");
        execFileSync("npm", ["pack", "--pack-destination", work], { cwd: repoRoot, stdio: "pipe" }); // prepack builds dist/
        const tarball = path.join(
            work,
            fs.readdirSync(work).find((f) => /^dvrlab-\d+\.\d+\.\d+\.tgz$/.test(f))!,
        );
        fs.cpSync(path.join(repoRoot, "examples/two-hosts"), proj, { recursive: true, filter: (f) => !f.includes("node_modules") });
        execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: proj, stdio: "pipe" });
        stack = new TestStack(proj, "lab", work);
        delete stack.env.DVRLAB_ROOT; // the shim must find node_modules/dvrlab on its own
        stack.init();
        stack.setConfig("dvrlab-two-hosts:addresses", JSON.stringify([A, B]));
        stack.setConfig("dvrlab:sshPrivateKeyFile", LAB_KEY);
        stack.setConfig("dvrlab:knownHostsFile", LAB_KNOWN_HOSTS);
    });

    after(function () {
        if (!stack) return;
        if (deployed) stack.run(["destroy", "--yes", "--skip-preview"], { allowFail: true });
        stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("installs compiled JavaScript and types only: no TypeScript source, no ts-node", () => {
        const pkg = path.join(proj, "node_modules/dvrlab");
        const files = execFileSync("find", [pkg, "-type", "f"], { encoding: "utf8" })
            .trim()
            .split("\n")
            .map((f) => path.relative(pkg, f));
        assert.deepEqual(
            files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
            [],
        );
        for (const f of [
            "package.json",
            "dist/provider/index.js",
            "dist/provider/index.d.ts",
            "dist/provider/core/boot.js",
            "dist/provider/core/runtime.js",
            "dist/provider/network/dvrNetwork.d.ts",
        ])
            assert.ok(files.includes(f), f);
        assert.throws(() => require.resolve("ts-node", { paths: [proj] }), /Cannot find module/);
        // The .d.ts serve a user's type check of their program.
        execFileSync(path.join(proj, "node_modules/.bin/tsc"), ["--noEmit", "-p", proj], { stdio: "pipe" });
    });

    it("up builds the network; a preview after it has no changes", () => {
        deployed = true;
        const up = stack.run(["up", "--yes", "--skip-preview"], { timeoutMs: 600_000 });
        assert.match(up.stdout, /dvrlab:index:DvrNetwork/);
        stack.run(["preview", "--expect-no-changes"]);
        const resources = stack.exportState().deployment.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic/dvrlab:"));
        assert.ok(resources.length > 60, `${resources.length} dvrlab resources`);
        // Written by the package's shim (3: finds node_modules/dvrlab/dist).
        for (const r of resources) assert.match(r.inputs.__provider, /shimProvider\("[A-Za-z]+", 3\)/);
        // The provider process as the engine starts it from this state: which files serve it.
        const loaded = providerModules(proj, resources.find((r: any) => r.type.endsWith(":LinuxBridge")).inputs.__provider);
        const ours = loaded.filter((f) => f.includes("/dvrlab/"));
        assert.ok(ours.length > 10, loaded.join("\n"));
        assert.deepEqual(
            ours.filter((f) => !f.startsWith(path.join(proj, "node_modules/dvrlab/dist/provider/")) || !f.endsWith(".js")),
            [],
        );
        assert.deepEqual(
            loaded.filter((f) => /\/ts-node\/|\.ts$/.test(f)),
            [],
        );
        for (const [ip, ns] of [
            [A, "ex-ga"],
            [B, "ex-gb"],
        ])
            assert.equal(hostSh(ip, 'test -e "/run/netns/$1"', ns).code, 0, `${ns} on ${ip}`);
    });

    it("the two namespace guests ping each other, routed by the DVR router across the tunnel", () => {
        const ab = ping(A, "ex-ga", "192.168.120.20");
        assert.equal(ab.code, 0, `ex-ga → ex-gb:\n${ab.stdout}${ab.stderr}`);
        assert.match(ab.stdout, /3 packets transmitted, 3 received/);
        const ba = ping(B, "ex-gb", "192.168.110.10");
        assert.equal(ba.code, 0, `ex-gb → ex-ga:\n${ba.stdout}${ba.stderr}`);
        // routed: one hop (TTL 64 - 1) through qrouter-rt
        assert.match(ba.stdout, /ttl=63/);
    });

    it("destroy leaves nothing on either host", () => {
        stack.run(["destroy", "--yes", "--skip-preview"], { timeoutMs: 600_000 });
        deployed = false;
        for (const ip of [A, B]) assert.equal(leftovers(ip), "", `left on ${ip}`);
    });
});
