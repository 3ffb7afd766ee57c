import { strict as assert } from "assert";
import { closeExecutor, configure, executor, provider } from "../../../provider/core/runtime";
import { bridgeFlows, invalidateFlowCaches } from "../../../provider/flowEntry/batcher";
import { flowCookie, parseDumpFlows } from "../../../provider/flowEntry/planner";
import { brTun } from "../../../provider/flows";
import { addTestBridge, delTestBridge, LAB_HOSTS, LAB_SKIP_REASON, labConfig, labUp, onHost } from "../../helpers/lab";

// FlowEntry through the provider, in-process, against a lab host's own ovs-vswitchd (userspace
// datapath). Every bridge is made here with the dvrlt prefix and removed at the end.
const HOST = LAB_HOSTS["server-233"];
const id = process.pid % 10000;
const BR = `dvrlt-f${id}`; // OpenFlow versions left to OVS's default: --bundle works
const BR13 = `dvrlt-g${id}`; // Neutron/OvsBridge style OpenFlow10,OpenFlow13: no OpenFlow 1.4, no bundle
const conn = { host: HOST, port: 22, user: "root", keyRef: "sshPrivateKey" };
const OWNER = "dvrlab:itest/flows";
const cookieOf = (name: string) => flowCookie("itest", "flows", name);

const dump = (br: string, filter = "") =>
    parseDumpFlows(
        onHost(HOST, `ovs-ofctl -O OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15 --no-names --no-stats dump-flows ${br} ${filter}`),
    );
const durationOf = (br: string, cookie: string) =>
    Number(/duration=([\d.]+)s/.exec(onHost(HOST, `ovs-ofctl -O OpenFlow13,OpenFlow14 dump-flows ${br} cookie=${cookie}/-1`))![1]);
const ofctl = (br: string, cmd: string) =>
    onHost(HOST, `ovs-ofctl -O OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15 ${cmd.replace("BR", br)}`);

describe("FlowEntry provider on a lab host", function () {
    this.timeout(60_000);
    const p = () => provider("FlowEntry", 1);
    const inputs = (name: string, spec: object, br = BR) => ({ connection: { host: HOST }, owner: OWNER, bridge: br, cookie: cookieOf(name), ...spec });
    const idOf = (i: any) => `${HOST}/${i.bridge}/${i.cookie}`;

    before(async function () {
        if (!labUp) {
            console.log(`      skipped: ${LAB_SKIP_REASON}`);
            this.skip();
        }
        await configure({ get: (k) => labConfig[k] });
        addTestBridge(HOST, BR);
        addTestBridge(HOST, BR13, "OpenFlow10,OpenFlow13");
    });
    after(() => {
        if (!labUp) return;
        delTestBridge(HOST, BR);
        delTestBridge(HOST, BR13);
        closeExecutor();
    });
    beforeEach(() => invalidateFlowCaches(executor()));

    const flood = inputs("flood", brTun.floodToTun({ vlan: 1, vni: 0x813, ports: [2, 3] }));
    let floodOuts: any;

    it("create installs the seed's flood flow under our cookie and stores OVS's text of it", async () => {
        const r = await p().create(flood);
        assert.equal(r.id, idOf(flood));
        const f = dump(BR).filter((x) => x.cookie === flood.cookie);
        assert.equal(f.length, 1);
        assert.deepEqual([f[0].table, f[0].priority, f[0].match], [22, 32768, "dl_vlan=1"]);
        // OVS rewrote the seed's spelling; the state keeps both.
        assert.equal(r.outs.actions, "strip_vlan,set_tunnel:0x813,output:2,output:3");
        assert.equal(r.outs.ovsActions, f[0].actions);
        assert.notEqual(r.outs.ovsActions, r.outs.actions);
        floodOuts = r.outs;
    });

    it("read returns the inputs unchanged while the host matches", async () => {
        const r = await p().read(idOf(flood), floodOuts);
        assert.deepEqual(r.props, floodOuts);
        assert.deepEqual(await p().diff(r.id, r.props, flood), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("an actions change updates in place (mod-flows --strict: the flow is not re-added)", async () => {
        await new Promise((r) => setTimeout(r, 1100));
        const before = durationOf(BR, flood.cookie);
        const news = { ...flood, actions: "strip_vlan,set_tunnel:0x813,output:2" };
        assert.deepEqual(await p().diff(idOf(flood), floodOuts, news), { changes: true, replaces: [], deleteBeforeReplace: false });
        const u = await p().update(idOf(flood), floodOuts, news);
        const f = dump(BR).filter((x) => x.cookie === flood.cookie);
        assert.equal(f.length, 1);
        assert.match(f[0].actions, /output:2$/);
        assert.ok(durationOf(BR, flood.cookie) >= before, "duration kept: modified, not replaced");
        floodOuts = u.outs;
        assert.equal(floodOuts.ovsActions, f[0].actions);
    });

    it("an out-of-band change shows as drift in OVS's text; update repairs it", async () => {
        ofctl(BR, `mod-flows BR "table=22,cookie=${flood.cookie}/-1,actions=drop"`);
        invalidateFlowCaches(executor());
        const r = await p().read(idOf(flood), floodOuts);
        assert.equal(r.props.actions, "drop");
        assert.equal(r.inputs.actions, "drop");
        const news = { ...flood, actions: "strip_vlan,set_tunnel:0x813,output:2" };
        assert.deepEqual(await p().diff(r.id, r.props, news), { changes: true, replaces: [], deleteBeforeReplace: false });
        floodOuts = (await p().update(r.id, r.props, news)).outs;
        assert.equal(dump(BR).find((x) => x.cookie === flood.cookie)!.actions, floodOuts.ovsActions);
        invalidateFlowCaches(executor());
        assert.deepEqual((await p().read(idOf(flood), floodOuts)).props, floodOuts);
    });

    it("a match changed by hand reads as a match drift (the diff replaces)", async () => {
        ofctl(BR, `del-flows BR "cookie=${flood.cookie}/-1"`);
        ofctl(BR, `add-flow BR "cookie=${flood.cookie},table=22,dl_vlan=5,actions=drop"`);
        invalidateFlowCaches(executor());
        const r = await p().read(idOf(flood), floodOuts);
        assert.equal(r.props.match, "dl_vlan=5");
        const d = await p().diff(r.id, r.props, { ...flood, actions: "strip_vlan,set_tunnel:0x813,output:2" });
        assert.deepEqual(d.replaces, ["match"]);
        assert.equal(d.deleteBeforeReplace, true);
    });

    it("delete removes exactly our cookie; delete again succeeds; read then reports it gone", async () => {
        ofctl(BR, `add-flow BR "table=22,dl_vlan=9,actions=drop"`); // someone else's, same table
        await p().delete(idOf(flood), floodOuts);
        assert.equal(dump(BR).filter((x) => x.cookie === flood.cookie).length, 0);
        assert.equal(dump(BR).filter((x) => x.match === "dl_vlan=9").length, 1, "not ours: untouched");
        await p().delete(idOf(flood), floodOuts);
        invalidateFlowCaches(executor());
        assert.deepEqual(await p().read(idOf(flood), floodOuts), {});
        ofctl(BR, `del-flows BR "cookie=0/-1"`);
    });

    it("the seed's learn action round-trips: read after create equals the inputs", async () => {
        const learn = inputs("learn", brTun.learnFromTun({ patchPort: 1 }));
        const r = await p().create(learn);
        invalidateFlowCaches(executor());
        assert.deepEqual((await p().read(r.id, r.outs)).props, r.outs);
        assert.match(r.outs.ovsActions, /^learn\(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,/);
        await p().delete(r.id, r.outs);
    });

    it("adopts an identical flow made by hand (cookie 0), marking it ours", async () => {
        ofctl(BR, `add-flow BR "table=4,priority=1,tun_id=0x813,actions=mod_vlan_vid:1,resubmit(,9)"`);
        const tun = inputs("tun-to-lv", brTun.tunToLv({ vni: 0x813, vlan: 1 }));
        const r = await p().create(tun);
        const f = dump(BR, "table=4");
        assert.equal(f.length, 1, "adopted, not duplicated");
        assert.equal(f[0].cookie, tun.cookie);
        await p().delete(r.id, r.outs);
    });

    it("adopts an identical flow that already carries our cookie without touching it", async () => {
        const dvr = inputs("dvr-process", brTun.dvrProcessDefault());
        ofctl(BR, `add-flow BR "cookie=${dvr.cookie},table=1,priority=0,actions=resubmit(,2)"`);
        await new Promise((r) => setTimeout(r, 1100));
        const r = await p().create(dvr);
        assert.ok(durationOf(BR, dvr.cookie) >= 1, "not re-added");
        assert.equal(dump(BR, "table=1").length, 1);
        await p().delete(r.id, r.outs);
    });

    it("refuses a conflicting flow (same table, priority, match; someone else's) and changes nothing", async () => {
        ofctl(BR, `add-flow BR "cookie=0x1234,table=0,priority=1,in_port=1,actions=drop"`);
        await assert.rejects(
            p().create(inputs("patch", brTun.patchFromInt({ patchPort: 1 }))),
            /not ours: cookie=0x1234, table=0, priority=1, in_port=1 actions=drop/,
        );
        const f = dump(BR, "table=0");
        assert.deepEqual(
            f.map((x) => [x.cookie, x.actions]),
            [["0x1234", "drop"]],
        );
        ofctl(BR, `del-flows BR "cookie=0x1234/-1"`);
    });

    it("OVS's refusal lands on the right resource; the others of the batch are written", async () => {
        const good = [0, 1, 2].map((i) => inputs(`ok-${i}`, { table: 30, priority: 1, match: `dl_vlan=${i + 10}`, actions: "drop" }));
        const bad = inputs("bad", { table: 30, priority: 1, match: "dl_vlan=20", actions: "resubmit(,300)" });
        const r = await Promise.allSettled([...good, bad].map((i) => p().create(i)));
        assert.deepEqual(
            r.map((x) => x.status),
            ["fulfilled", "fulfilled", "fulfilled", "rejected"],
        );
        assert.match((r[3] as PromiseRejectedResult).reason.message, /resubmit to unknown table|300/);
        assert.equal(dump(BR, "table=30").length, 3);
        await Promise.all(good.map((i) => p().delete(idOf(i), i)));
    });

    it("coalesces: 200 creates are a few add-flows batches, 200 reads one dump, 200 deletes a few batches", async () => {
        const items = Array.from({ length: 200 }, (_, i) =>
            inputs(`many-${i}`, {
                table: 40,
                priority: 1,
                match: `dl_vlan=${i + 1}`,
                actions: `strip_vlan,set_tunnel:0x${(0x1000 + i).toString(16)},output:2`,
            }),
        );
        const stats = bridgeFlows(executor(), conn, BR).stats;
        const w0 = stats.writes;
        const created = await Promise.all(items.map((i) => p().create(i)));
        const writes = stats.writes - w0;
        assert.ok(writes <= 4, `${writes} add-flows for 200 creates`);
        assert.equal(dump(BR, "table=40").length, 200);

        invalidateFlowCaches(executor());
        const d0 = stats.dumps;
        const reads = await Promise.all(created.map((c) => p().read(c.id, c.outs)));
        assert.equal(stats.dumps - d0, 1, "one dump-flows for 200 reads");
        reads.forEach((r, k) => assert.deepEqual(r.props, created[k].outs));

        const w1 = stats.writes;
        await Promise.all(created.map((c) => p().delete(c.id, c.outs)));
        assert.ok(stats.writes - w1 <= 4, `${stats.writes - w1} batches for 200 deletes`);
        assert.equal(dump(BR, "table=40").length, 0);
    });

    it("a bridge that only allows OpenFlow 1.0 and 1.3 gets the same batches without --bundle", async () => {
        const items = brTun.caseB({ patchPort: 1, tunPorts: [2, 3], vlan: 1, vni: 0x813 });
        const ins = Object.entries(items).map(([k, s]) => inputs(`b13-${k}`, s, BR13));
        const created = await Promise.all(ins.map((i) => p().create(i)));
        assert.equal(dump(BR13).length, ins.length);
        invalidateFlowCaches(executor());
        for (const c of created) assert.deepEqual((await p().read(c.id, c.outs)).props, c.outs);
        await Promise.all(created.map((c) => p().delete(c.id, c.outs)));
        assert.equal(dump(BR13).length, 0);
    });

    it("a missing bridge: create fails clearly, delete succeeds, read reports gone", async () => {
        const gone = inputs("gone", brTun.dvrNotLearnDefault(), "dvrlt-nobr");
        await assert.rejects(p().create(gone), /bridge dvrlt-nobr on root@172.30.124.233:22 does not exist/);
        await p().delete(idOf(gone), gone);
        assert.deepEqual(await p().read(idOf(gone), { ...gone, ovsMatch: "", ovsActions: "" }), {});
    });

    it("leaves no flow of this test's stack behind", () => {
        for (const br of [BR, BR13]) assert.deepEqual(dump(br), []);
    });
});
