import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flowCookie, parseDumpFlows, stackCookie } from "../../provider/flowEntry/planner";
import { repoRoot, TestStack } from "../helpers/pulumi";
import { LAB_HOSTS, LAB_SKIP_REASON, labKey, labKnownHosts, labUp, onHost, tryOnHost } from "../helpers/lab";

// The real pulumi CLI builds one lab host's br-int/br-tun, patch and VXLAN ports and the seed's
// flows (FlowEntry via the brTun/brInt intents), then lives through drift, repair and destroy.
const HOST = LAB_HOSTS["server-233"];
const P = `dvrlt-e${process.pid % 1000}`;
const project = path.join(repoRoot, "test/e2e/projects/flows");
const O = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";
const dump = (br: string) => parseDumpFlows(onHost(HOST, `ovs-ofctl -O ${O} --no-names --no-stats dump-flows ${br}`));
const bridges = () => onHost(HOST, "ovs-vsctl list-br").split("\n").filter(Boolean);
const ports = (br: string) => onHost(HOST, `ovs-vsctl list-ports ${br}`).split("\n").filter(Boolean);

describe("FlowEntry end to end with the pulumi CLI on a lab host", function () {
    this.timeout(300_000);
    let stack: TestStack;
    let work: string;
    const stackName = `flows${process.pid}`;
    const cookie = (name: string) => flowCookie("dvrlab-e2e-flows", stackName, name);

    before(function () {
        if (!labUp) {
            console.log(`      skipped: ${LAB_SKIP_REASON}`);
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-e2e-flows-"));
        stack = new TestStack(project, stackName, work);
        stack.init();
        stack.setConfig("test:host", HOST);
        stack.setConfig("test:prefix", P);
        stack.setConfig("test:peers", JSON.stringify([LAB_HOSTS["server-64"], LAB_HOSTS["server-68"]]));
        stack.setConfig("dvrlab:sshPrivateKeyFile", labKey);
        stack.setConfig("dvrlab:knownHostsFile", labKnownHosts);
    });
    after(() => {
        if (!labUp) return;
        for (const b of [`${P}i`, `${P}t`]) tryOnHost(HOST, `ovs-vsctl --if-exists del-br ${b}`);
        stack?.run(["stack", "rm", "--yes", "--force"], { allowFail: true });
        fs.rmSync(path.join(project, `Pulumi.${stackName}.yaml`), { force: true });
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("up builds both bridges, the ports and the seed's flows under this stack's cookies", () => {
        stack.run(["up", "--yes", "--skip-preview"]);
        const tun = dump(`${P}t`);
        assert.equal(tun.length, 10);
        const prefix = BigInt(stackCookie("dvrlab-e2e-flows", stackName)) >> 40n;
        assert.ok(
            tun.every((f) => BigInt(f.cookie) >> 40n === prefix),
            "every flow carries this stack's cookie",
        );
        const flood = tun.find((f) => f.cookie === cookie("tun-flood-to-tun-1"))!;
        assert.deepEqual([flood.table, flood.priority, flood.match], [22, 32768, "dl_vlan=1"]);
        assert.match(tun.find((f) => f.table === 10)!.actions, /^learn\(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,/);
        const int = dump(`${P}i`);
        const ofport = Number(onHost(HOST, `ovs-vsctl get Interface ${P}q ofport`).trim());
        assert.deepEqual(int.map((f) => [f.table, f.priority, f.match, f.actions]).sort(), [
            [0, 1, "", "NORMAL"],
            [0, 10, `arp,in_port=${ofport}`, "resubmit(,24)"],
            [24, 2, `arp,in_port=${ofport},arp_spa=192.168.10.222`, "NORMAL"],
        ]);
        assert.deepEqual(ports(`${P}t`).sort(), [`${P}pi`, `${P}v2`, `${P}v3`]);
    });

    it("a second preview shows no changes", () => {
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("refresh shows one flow and one port deleted by hand; up repairs both", () => {
        onHost(HOST, `ovs-ofctl -O ${O} del-flows ${P}t cookie=${cookie("tun-flood-to-tun-1")}/-1 && ovs-vsctl del-port ${P}t ${P}v3`);
        const r = stack.run(["refresh", "--yes"]);
        assert.match(r.stdout, /- +pulumi-nodejs:dynamic\/dvrlab:FlowEntry +tun-flood-to-tun-1 +deleted/);
        assert.match(r.stdout, /- +pulumi-nodejs:dynamic\/dvrlab:OvsPort +vxlan-3 +deleted/);
        const pv = stack.run(["preview"]);
        assert.match(pv.stdout, /\+ +pulumi-nodejs:dynamic\/dvrlab:FlowEntry +tun-flood-to-tun-1 +create/);
        stack.run(["up", "--yes", "--skip-preview"]);
        assert.equal(dump(`${P}t`).length, 10);
        assert.ok(ports(`${P}t`).includes(`${P}v3`));
        stack.run(["preview", "--expect-no-changes"]);
    });

    it("refresh shows actions changed by hand in OVS's text; up repairs them in place", () => {
        onHost(HOST, `ovs-ofctl -O ${O} mod-flows ${P}t "table=4,cookie=${cookie("tun-tun-to-lv-0x813")}/-1,actions=drop"`);
        const r = stack.run(["refresh", "--yes", "--diff"]);
        assert.match(r.stdout, /actions\s*:\s*"mod_vlan_vid:1,resubmit\(,9\)"\s*=>\s*"drop"/);
        const pv = stack.run(["preview", "--diff"]);
        assert.match(pv.stdout, /actions\s*:\s*"drop"\s*=>\s*"mod_vlan_vid:1,resubmit\(,9\)"/);
        const up = stack.run(["up", "--yes", "--skip-preview"]);
        assert.match(up.stdout, /1 updated/);
        assert.doesNotMatch(up.stdout, /replaced/);
        assert.notEqual(dump(`${P}t`).find((f) => f.cookie === cookie("tun-tun-to-lv-0x813"))!.actions, "drop");
        stack.run(["preview", "--expect-no-changes"]);
        stack.run(["refresh", "--yes", "--expect-no-changes"]);
    });

    it("destroy leaves no bridge, no flow with this stack's cookies and no scratch bridge", () => {
        stack.run(["destroy", "--yes", "--skip-preview"]);
        const left = bridges();
        assert.ok(!left.includes(`${P}i`) && !left.includes(`${P}t`), `bridges left: ${left.join(" ")}`);
        assert.ok(!left.some((b) => b.startsWith("dvrlab-s")), "a scratch bridge was left behind");
        const mask = `${stackCookie("dvrlab-e2e-flows", stackName)}/0xffffff0000000000`;
        for (const b of left)
            assert.deepEqual(parseDumpFlows(onHost(HOST, `ovs-ofctl -O ${O} --no-stats dump-flows ${b} cookie=${mask}`)), [], `flows of ours on ${b}`);
    });
});
