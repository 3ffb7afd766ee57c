import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as dvrlab from "../../provider";
import { kinds } from "../../provider/kinds";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { connections, startSshd, TestSshd } from "../helpers/sshd";

// The real pulumi CLI on one project holding a resource of every kind with hostile inputs, all
// pointed at an sshd this test starts: `pulumi preview` fails, names every bad property of every
// resource, and the sshd saw no connection at all (it logs each one at VERBOSE). A valid `up`
// afterwards shows the counter does count.
const project = path.join(repoRoot, "test/e2e/projects/hostile");
const OK = `dvrlt-h${process.pid % 100000}`;

interface Hostile {
    kind: string;
    name: string;
    args: Record<string, unknown>;
    /** Properties the preview output must name. */
    bad: string[];
}

const HOSTILE: Hostile[] = [
    { kind: "LinuxBridge", name: "lb", args: { name: "qbr;reboot", forwardDelay: 31 }, bad: ["name", "forwardDelay"] },
    {
        kind: "LinuxBridge",
        name: "lb-conn",
        args: { name: OK, connection: { host: "127.0.0.1;reboot", user: "root$(reboot)", keyRef: "k`id`" } },
        bad: ["connection.host", "connection.user", "connection.keyRef"],
    },
    { kind: "VethPair", name: "veth", args: { name: "qvb$(reboot)", peer: "dvrlt-abcdefghij", mtu: "1500;reboot" }, bad: ["name", "peer", "mtu"] },
    {
        kind: "OvsBridge",
        name: "ovsbr",
        args: { name: "br`reboot`", protocols: ["OpenFlow13;reboot"], externalIds: { k: "v\nreboot" } },
        bad: ["name", "protocols.0", "externalIds.k"],
    },
    {
        kind: "OvsPort",
        name: "port",
        args: { bridge: "br int", name: "qvo'x", type: "vxlan", tag: 4096, options: { remoteIp: "10.0.0.300", key: 16777216 } },
        bad: ["bridge", "name", "tag", "options.remoteIp", "options.key"],
    },
    {
        kind: "FlowEntry",
        name: "flow-actions",
        args: { bridge: "br-tun", table: 0, priority: 1, match: "in_port=1,actions=drop", actions: 'output:1"' },
        bad: ["match", "actions"],
    },
    {
        kind: "FlowEntry",
        name: "flow-cookie",
        args: { bridge: "br-tun", table: 255, priority: 1, match: "ip,cookie(0x1)", actions: "output:1\nadd table=0,actions=NORMAL" },
        bad: ["table", "match", "actions"],
    },
    {
        kind: "SecurityGroup",
        name: "sg",
        args: {
            portId: "vm;1",
            tap: 'tap"x',
            ip: "10.0.0.5 -j ACCEPT",
            mac: "fa:16:3e:00:00:05",
            ingress: [{ protocol: "tcp", port: "1:99999", remoteCidr: "0.0.0.0/0 -j ACCEPT" }],
        },
        bad: ["portId", "tap", "ip", "ingress.0.port", "ingress.0.remoteCidr"],
    },
    {
        kind: "LibvirtDomain",
        name: "vm",
        args: {
            name: "vm$(reboot)",
            memoryMiB: 64,
            boot: { kernel: "/boot/../etc/shadow" },
            interfaces: [{ bridge: "qbr-x", tap: "vnet0", mac: "fa:16:3e:ff:aa:6" }],
        },
        bad: ["name", "boot.kernel", "interfaces.0.tap", "interfaces.0.mac"],
    },
    {
        kind: "DhcpServer",
        name: "dhcp",
        args: { network: "net;1", tag: -1, address: "192.168.10.2/33", router: "192.168.10.1 ; reboot" },
        bad: ["network", "tag", "address", "router"],
    },
    {
        kind: "DhcpLease",
        name: "lease",
        args: { network: "net1", serverAddress: "192.168.10.2/24", mac: "zz:16:3e:ff:aa:66", hostname: "a b", ip: "192.168.10.300" },
        bad: ["mac", "hostname", "ip"],
    },
    { kind: "RouterNamespace", name: "qrouter", args: { name: "qrouter-$(reboot)", arpIgnore: 9 }, bad: ["name", "arpIgnore"] },
    {
        kind: "RouterPort",
        name: "qr",
        args: { name: "qr-0123456789abc", namespace: "qrouter r1", tag: 4096, mac: "fa:16:3e:00:00:0g", address: "192.168.10.1/24;reboot" },
        bad: ["name", "namespace", "tag", "mac", "address"],
    },
    {
        kind: "StaticNeighbors",
        name: "neigh",
        args: { namespace: "qrouter-r1`id`", device: "qr-x'", entries: [{ ip: "192.168.10.1\nreboot", mac: "fa:16:3e:ff:aa:66 dev eth0" }] },
        bad: ["namespace", "device", "entries.0.ip", "entries.0.mac"],
    },
    {
        kind: "NetnsGuest",
        name: "guest",
        args: { name: "vm;reboot", tap: "tap$(id)", mac: "fa:16:3e:ff:aa:66 x", address: "192.168.10.5/33" },
        bad: ["name", "tap", "mac", "address"],
    },
    {
        kind: "HostPreflight",
        name: "preflight",
        args: { tunnelIp: "10.0.0.1;reboot", mtu: "1450", vxlanPort: 0, needs: { ovs: "yes" } },
        bad: ["tunnelIp", "mtu", "vxlanPort", "needs.ovs"],
    },
    {
        kind: "HostFile",
        name: "file",
        args: { path: "/tmp/x;reboot", source: "relative", sha256: "x", mode: "0999" },
        bad: ["path", "source", "sha256", "mode"],
    },
];

// sshd's log arrives on a pipe read by this process's event loop, which spawnSync blocks: let it
// drain before counting, or every count would still be the one from before the run.
const sessions = connections;
const accepted = (s: TestSshd) => (s.log().match(/Accepted publickey/g) ?? []).length;
const link = (name: string) => {
    try {
        execFileSync("ip", ["link", "show", "dev", name], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("hostile input through the pulumi CLI: preview refuses it, naming each property, no host touched", function () {
    this.timeout(240_000);
    let sshd: TestSshd;
    let stack: TestStack;
    let work: string;
    // Kinds registered and exported (a kind being added may be registered before it is exported).
    const cases = HOSTILE.filter((h) => h.kind in kinds && typeof (dvrlab as any)[h.kind] === "function");

    before(async () => {
        sshd = await startSshd();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-hostile-"));
        stack = new TestStack(project, `hostile${process.pid}`, work);
        stack.init();
        stack.setConfig("test:host", sshd.host);
        stack.setConfig("test:port", String(sshd.port));
        stack.setConfig("dvrlab:sshPrivateKey", sshd.clientKey, true);
        stack.setConfig("dvrlab:knownHosts", sshd.knownHosts);
    });
    after(async () => {
        if (link(OK)) execFileSync("ip", ["link", "del", "dev", OK]);
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, `Pulumi.${stack?.stack}.yaml`), { force: true });
        if (work) fs.rmSync(work, { recursive: true, force: true });
        await sshd?.stop();
    });

    it("covers every registered kind", () => {
        const missing = Object.keys(kinds).filter((k) => !HOSTILE.some((c) => c.kind === k));
        assert.deepEqual(missing, [], `add a hostile resource of ${missing.join(", ")} to test/hostile/preview.e2e.test.ts`);
    });

    // The engine stops a preview at the first resource whose check fails, so one preview each.
    it("preview fails for each, naming every bad property, and opens no SSH connection", async () => {
        const before = await sessions(sshd);
        const problems: string[] = [];
        for (const c of cases) {
            stack.setConfig("test:resources", JSON.stringify([{ kind: c.kind, name: c.name, args: c.args }]));
            const r = stack.run(["preview"], { allowFail: true });
            const out = r.stdout + r.stderr;
            if (r.code === 0) problems.push(`${c.kind} ${c.name}: preview succeeded`);
            for (const p of c.bad) {
                const re = new RegExp(`dvrlab:${c.kind} resource '${esc(c.name)}': property ${esc(p)} value [\\s\\S]*?has a problem: \\S`);
                if (!re.test(out)) problems.push(`${c.kind} ${c.name}: ${p} not named in:\n${out}`);
            }
            if (/\+ +pulumi-nodejs:dynamic\/dvrlab:\w+ +\S+ +create/.test(out)) problems.push(`${c.kind} ${c.name}: planned for creation`);
        }
        assert.deepEqual(problems, []);
        assert.equal(await sessions(sshd), before, `an SSH connection was opened:\n${sshd.log()}`);
        assert.equal(accepted(sshd), 0);
    });

    it("the counter counts: a valid up opens sessions; destroy leaves nothing", async () => {
        stack.setConfig("test:resources", JSON.stringify([{ kind: "LinuxBridge", name: "ok", args: { name: OK } }]));
        const before = await sessions(sshd);
        stack.run(["up", "--yes", "--skip-preview"]);
        assert.ok((await sessions(sshd)) > before, `up opened no session: the no-connection proof above would be vacuous\n${sshd.log()}`);
        assert.ok(link(OK));
        stack.run(["destroy", "--yes", "--skip-preview"]);
        assert.equal(link(OK), false);
    });
});
