// The DVR stack end to end with the real pulumi CLI, on a lab of its own (so a deployed dev stack
// on the main lab is left alone): up from empty → verify → no-op preview → config change (a VM
// added, the network's local VLAN changed) previews as exactly those changes → up → verify →
// a flow, a port and a domain deleted by hand → refresh reports them → up repairs → verify →
// destroy leaves no object of ours on any host → the lab goes.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFor } from "../../provider/core/config";
import { tunnelPortName } from "../../provider/network/topology";
import { outputsSchema, StackOutputs } from "../../provider/verify/plan";
import { CheckResult, verify } from "../../provider/verify/run";
import { requireLab } from "../helpers/lab";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { FaultLab } from "../faults/faultLab";

const yaml = require("js-yaml");
const HOSTS = ["server-233", "server-64", "server-68"];
const id = process.pid % 10000;
// A lab of its own (underlay and prefix claimed, so it never meets the main lab or another test's)
const lab = new FaultLab();
const ipOf = (h: string) => lab.ip(h);
const onHost = (host: string, script: string, ...args: string[]) => lab.sh(host, script, ...args);

describe("DVR stack end to end: pulumi CLI + verify on a lab of its own", function () {
    this.timeout(1_200_000);
    let stack: TestStack;
    let work: string;
    let topology: any;
    const numbers: Record<string, string> = {};
    let lastResults: CheckResult[] = [];
    const stackFile = () => path.join(repoRoot, `Pulumi.${stack.stack}.yaml`);

    function writeConfig(): void {
        const doc = yaml.load(fs.readFileSync(stackFile(), "utf8")) ?? {};
        doc.config = {
            "dvrlab:sshPrivateKeyFile": lab.key,
            "dvrlab:knownHostsFile": lab.knownHosts,
            "dvrlab:topology": topology,
        };
        fs.writeFileSync(stackFile(), yaml.dump(doc));
    }

    function timed(what: string, args: string[], opts: { allowFail?: boolean } = {}) {
        const t0 = Date.now();
        const r = stack.run(args, { timeoutMs: 600_000, ...opts });
        numbers[what] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        return r;
    }

    async function verifyAll(what: string): Promise<void> {
        const outputs: StackOutputs = outputsSchema.parse(JSON.parse(stack.run(["stack", "output", "--json"]).stdout));
        const t0 = Date.now();
        const results: CheckResult[] = await verify(outputs, (c) => credentialsFor(c));
        lastResults = results;
        numbers[what] = `${results.length} checks in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
        const failed = results.filter((r) => !r.pass);
        assert.equal(failed.length, 0, `verify failed:\n${failed.map((f) => [f.name, ...f.evidence, ...(f.trace ?? [])].join("\n  ")).join("\n")}`);
        // the seed's checks are all there: every VM leased, pings both ways, the blocked VM, ARP spoofing per VM
        for (const k of ["dhcp", "ping", "arp-spoof"])
            assert.ok(
                results.some((r) => r.kind === k),
                `no ${k} check ran`,
            );
        assert.ok(results.some((r) => r.name.includes("across the tunnel")) && results.some((r) => r.name.includes("same host")));
        assert.ok(results.some((r) => r.name.includes("has no ICMP rule")));
    }

    /** Every object the stack makes, per host, as lines (empty: nothing of ours is left). */
    const leftovers = () => lab.leftovers();

    before(async function () {
        requireLab(this); // CI brings the main lab up; this test adds its own next to it
        lab.up();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-dvr-e2e-"));
        stack = new TestStack(repoRoot, `e2e${id}`, work);
        stack.init();
        const dev = yaml.load(fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8")).config["dvrlab:topology"];
        topology = { ...dev, domainPrefix: `e2e${id}-`, hosts: dev.hosts.map((h: any) => ({ ...h, address: ipOf(h.name) })) };
        writeConfig();
    });

    after(function () {
        try {
            if (stack) {
                if (this.currentTest?.state === "failed" || leftovers())
                    stack.run(["destroy", "--yes", "--skip-preview"], { allowFail: true, timeoutMs: 600_000 });
                stack.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
                fs.rmSync(stackFile(), { force: true });
            }
            if (work) fs.rmSync(work, { recursive: true, force: true });
        } finally {
            lab.down(); // even when the stack could not be made
            console.log(`      numbers: ${JSON.stringify(numbers)}`);
        }
    });

    it("up from empty builds the seed's network and verify passes", async () => {
        assert.equal(leftovers(), "", "the lab starts bare");
        timed("cold up", ["up", "--yes", "--skip-preview"]);
        await verifyAll("verify after up");
    });

    it("the verify CLI: --list names this stack's checks, --only runs just the matching ones (--json)", () => {
        const cli = (...args: string[]) =>
            spawnSync("npx", ["ts-node", "--transpile-only", "scripts/verify.ts", ...args], {
                cwd: repoRoot,
                env: { ...stack.env, DVRLAB_STACK: stack.stack },
                encoding: "utf8",
                timeout: 300_000,
            });
        const list = cli("--list");
        assert.equal(list.status, 0, list.stderr);
        assert.match(list.stdout, /^38 checks on this stack, in run order:$/m);
        assert.match(list.stdout, /^ {2}gateway-mac-local {2}server-233: br-int has learnt no gateway MAC on patch-tun/m);
        const t0 = Date.now();
        const r = cli("--only", "^dhcp$", "--only", "gateway-mac", "--json");
        numbers["verify --only dhcp, gateway MACs"] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const doc = JSON.parse(r.stdout);
        assert.deepEqual([doc.passed, doc.failed], [8, 0]);
        // gateway MACs first (as up left them), then every VM's lease
        assert.deepEqual(
            doc.checks.map((c: any) => c.kind),
            ["gateway-mac-local", "gateway-mac-local", "gateway-mac-local", "dhcp", "dhcp", "dhcp", "dhcp", "dhcp"],
        );
        const none = cli("--only", "no such check");
        assert.equal(none.status, 2);
        assert.match(none.stderr, /no check matches "no such check"/);
    });

    it("a second preview shows no changes", () => {
        timed("no-op preview", ["preview", "--expect-no-changes"]);
    });

    it("a config change (VM added, local VLAN changed) previews as exactly those changes, and up applies them", async () => {
        topology.networks[0].vlan = 7;
        // a namespace guest: verify checks it with the host's own tools (ip netns exec)
        topology.vms.push({
            id: "extra",
            kind: "netns",
            host: "server-68",
            network: "net1",
            mac: "fa:16:3e:ff:00:69",
            ip: "192.168.10.69",
            securityGroup: "icmp",
        });
        writeConfig();
        const steps: { op: string; urn: string }[] = JSON.parse(stack.run(["preview", "--json"]).stdout).steps;
        const changed = steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
        const name = (line: string) => line.split(" ")[1];
        const byOp = (op: string) =>
            changed.filter((c) => c.startsWith(`${op} `) || (op === "replace" && /^(create-replacement|delete-replaced|replace) /.test(c)));
        const hosts = ["server-233", "server-64", "server-68"];
        const net1Vms = ["cirros", "peer", "vm233", "locked"];
        const hostOf: Record<string, string> = { cirros: "server-64", peer: "server-64", vm233: "server-233", locked: "server-68" };
        // the new VM: its port chain, group, flows, lease, domain and the router's delivery flow to it
        const creates = byOp("create").map(name);
        assert.ok(creates.length >= 10, `creates: ${creates.join(", ")}`);
        for (const n of creates) assert.match(n, /^(extra|lease-extra|server-68-r1-dvr-to-extra)/, `unexpected create ${n}`);
        // the VLAN (tags of net1's ports and qr- ports, its br-tun VNI mapping) and the new VM in every router's neighbor table
        const updates = [...new Set(byOp("update").map(name))].sort();
        const wantUpdates = [
            ...net1Vms.map((v) => `${v}-qvo`),
            "dhcp-net1",
            ...hosts.flatMap((h) => [`${h}-tun-to-lv-net1`, `${h}-r1-qr-net1`, `${h}-r1-qr-net1-neighbors`]),
        ].sort();
        assert.deepEqual(updates, wantUpdates);
        // flows whose match names the VLAN are replaced (a match change is a new flow)
        const replaced = [...new Set(byOp("replace").map(name))].sort();
        const wantReplaced = [
            ...hosts.flatMap((h) => [`${h}-tun-flood-net1`, ...["arp-drop", "gw-mac-drop", "src-rewrite"].map((k) => `${h}-r1-dvr-process-${k}-net1`)]),
            ...net1Vms.map((v) => `${hostOf[v]}-r1-dvr-to-${v}`),
        ].sort();
        assert.deepEqual(replaced, wantReplaced);
        assert.equal(changed.filter((c) => c.startsWith("delete ")).length, 0, `nothing deleted: ${changed.join("\n")}`);
        timed("up with the change", ["up", "--yes", "--skip-preview"]);
        assert.match(onHost("server-64", "ovs-vsctl get Port qvo-cirros tag"), /^7\s*$/);
        await verifyAll("verify after change");
        assert.ok(
            lastResults.some((r) => r.kind === "arp-spoof" && r.name.startsWith("extra:") && r.pass),
            "the namespace guest's ARP spoofing was checked",
        );
        assert.ok(lastResults.some((r) => r.name === "ping extra → cirros (across the tunnel)" && r.pass));
    });

    it("a flow, a port and a domain deleted by hand: refresh reports them, up repairs them", async () => {
        const domain = `e2e${id}-peer`;
        onHost("server-64", 'ovs-ofctl --strict del-flows br-tun "table=4,priority=1,tun_id=0x813"');
        onHost(
            "server-68",
            'ovs-ofctl del-flows br-tun "table=9,dl_src=$1"',
            (JSON.parse(stack.run(["stack", "output", "router", "--json"]).stdout).dvrMacs as Record<string, string>)["server-64"],
        );
        onHost("server-233", "ovs-vsctl del-port br-int qvo-vm233");
        onHost("server-64", 'virsh -q -c qemu:///system destroy "$1" && virsh -q -c qemu:///system undefine "$1"', domain);
        // refresh drops what is gone and reports the domain (its disk is still ours) as undefined
        const byName = () => new Map((stack.exportState().deployment.resources as any[]).map((r) => [r.urn.split("::").pop() + "|" + r.type, r]));
        const before = byName();
        timed("refresh after drift", ["refresh", "--yes"]);
        const after = byName();
        const name = (key: string) => key.split("|")[0];
        assert.deepEqual(
            [...before.keys()]
                .filter((k) => !after.has(k))
                .map(name)
                .sort(),
            ["server-64-tun-to-lv-net1", "server-68-tun-dvr-not-learn-server-64", "vm233-qvo"],
        );
        const peer = after.get("peer|pulumi-nodejs:dynamic/dvrlab:LibvirtDomain")!;
        assert.deepEqual([peer.outputs.state, peer.outputs.running], ["undefined", false]);
        const preview = JSON.parse(stack.run(["preview", "--json"]).stdout).steps as { op: string; urn: string }[];
        const changed = preview
            .filter((s) => s.op !== "same")
            .map((s) => `${s.op} ${s.urn.split("::").pop()}`)
            .sort();
        assert.deepEqual(changed, ["create server-64-tun-to-lv-net1", "create server-68-tun-dvr-not-learn-server-64", "create vm233-qvo", "update peer"]);
        timed("up repairing", ["up", "--yes", "--skip-preview"]);
        assert.match(onHost("server-64", "ovs-ofctl dump-flows br-tun table=4"), /tun_id=0x813 actions=mod_vlan_vid:7/);
        await verifyAll("verify after repair");
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("removing the router removes its namespaces, qr- ports and DVR flows on every host", () => {
        topology.routers = [];
        writeConfig();
        timed("up removing the router", ["up", "--yes", "--skip-preview"]);
        for (const h of HOSTS) {
            assert.equal(onHost(h, 'ip netns list | grep -c "^qrouter-" || true').trim(), "0", `${h}: no qrouter namespace`);
            assert.equal(onHost(h, 'ovs-vsctl list-ports br-int | grep -c "^qr-" || true').trim(), "0", `${h}: no qr- port`);
            // left in table 1 of br-tun: only the default; in table 9: only the default; br-int table 1: only its default drop
            assert.equal(onHost(h, "ovs-ofctl dump-flows br-tun table=1 | grep -c priority= || true").trim(), "1", `${h}: br-tun DVR_PROCESS default only`);
            assert.equal(onHost(h, "ovs-ofctl dump-flows br-tun table=9 | grep -c priority= || true").trim(), "1", `${h}: br-tun DVR_NOT_LEARN default only`);
            assert.equal(onHost(h, "ovs-ofctl dump-flows br-int table=1 | grep -c priority= || true").trim(), "1", `${h}: br-int DVR_TO_SRC_MAC default only`);
        }
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("removing a host shrinks the mesh and adding it back extends it, one up each", async () => {
        const full = JSON.parse(JSON.stringify(topology));
        const tunnels = (h: string) =>
            onHost(h, "ovs-vsctl list-ports br-tun")
                .split("\n")
                .filter((p) => p.startsWith("vxlan-"))
                .sort();
        const floodPorts = (h: string) => (onHost(h, "ovs-ofctl dump-flows br-tun table=22").match(/output:\d+/g) ?? []).length;
        topology.hosts = topology.hosts.filter((h: any) => h.name !== "server-68");
        topology.vms = topology.vms.filter((v: any) => v.host !== "server-68");
        writeConfig();
        timed("up removing a host", ["up", "--yes", "--skip-preview"]);
        assert.deepEqual(tunnels("server-233"), [tunnelPortName(ipOf("server-64"))]);
        assert.deepEqual(tunnels("server-64"), [tunnelPortName(ipOf("server-233"))]);
        for (const h of ["server-233", "server-64"]) assert.equal(floodPorts(h), 2, `${h}: each network floods to the one tunnel left`);
        assert.equal(onHost("server-68", "ovs-vsctl list-br").trim(), "br-phy", "server-68 has nothing of the stack");
        topology = full;
        writeConfig();
        timed("up adding it back", ["up", "--yes", "--skip-preview"]);
        for (const h of HOSTS) {
            assert.deepEqual(
                tunnels(h),
                HOSTS.filter((o) => o !== h)
                    .map((o) => tunnelPortName(ipOf(o)))
                    .sort(),
            );
            assert.equal(floodPorts(h), 4, `${h}: each of the 2 networks floods to both tunnels`);
        }
        await verifyAll("verify after the host came back");
    });

    it("destroy leaves no bridge, link, domain, namespace, dnsmasq or iptables rule of ours", () => {
        timed("destroy", ["destroy", "--yes", "--skip-preview"]);
        assert.equal(leftovers(), "");
        // (leftovers() also lists any qemu or dnsmasq still running in a host, by its UTS namespace: ps is shared)
    });
});
