import { strict as assert } from "assert";
import { BridgeFlows } from "../../../provider/flowEntry/batcher";
import { addLine, deleteLine, modifyLine } from "../../../provider/flowEntry/planner";
import { FakeOvs } from "./fakeOvs";

const conn = { host: "10.0.0.1", port: 22, user: "root", keyRef: "sshPrivateKey" };
const cookie = (i: number) => "0xd7000000000000" + i.toString(16).padStart(2, "0");
const spec = (i: number, p: object = {}) => ({
    cookie: cookie(i),
    table: 22,
    priority: 1,
    match: `dl_vlan=${i}`,
    actions: `strip_vlan,set_tunnel:0x813,output:2`,
    ...p,
});

describe("FlowEntry batcher (fake OVS)", () => {
    let ovs: FakeOvs;
    let b: BridgeFlows;
    beforeEach(() => {
        ovs = new FakeOvs();
        ovs.addBridge("br-tun");
        b = new BridgeFlows(ovs, conn, "br-tun", { dumpTtlMs: 50 });
    });

    it("many concurrent reads cost one dump-flows", async () => {
        ovs.bridges.get("br-tun")!.push({ cookie: cookie(1), table: 22, priority: 1, idle: 0, hard: 0, match: "dl_vlan=1", actions: "drop" });
        const all = await Promise.all(Array.from({ length: 200 }, () => b.dump()));
        assert.equal(ovs.count("dump-flows"), 1);
        assert.equal(all[199]![0].cookie, cookie(1));
        await b.dump();
        assert.equal(ovs.count("dump-flows"), 1, "a read right after reuses the dump");
        await new Promise((r) => setTimeout(r, 60));
        await b.dump();
        assert.equal(ovs.count("dump-flows"), 2, "a dump is short-lived");
    });

    it("a write replaces the cached dump by what the write read back (a dump never outlives a write)", async () => {
        // a TTL no loaded machine reaches: with 50 ms the read-back expired before the next read under Stryker
        b = new BridgeFlows(ovs, conn, "br-tun", { dumpTtlMs: 60_000 });
        await b.dump();
        ovs.bridges.get("br-tun")!.push({ cookie: "0x77", table: 22, priority: 1, idle: 0, hard: 0, match: "dl_vlan=1", actions: "drop" });
        await b.submit({ type: "ensure", spec: spec(1) }); // same table, priority and match: replaces 0x77
        const flows = await b.dump();
        assert.deepEqual(
            flows!.map((f) => f.cookie),
            [cookie(1)],
        );
        assert.equal(ovs.count("dump-flows"), 1, "the write's own read-back serves the next read");
        assert.deepEqual(ovs.writes()[0].argv.slice(4), ["br-tun", "1", cookie(1)], "read back by cookie");
    });

    it("a read started during a write is not reused after it", async () => {
        const w = b.submit({ type: "ensure", spec: spec(1) });
        await new Promise((r) => setTimeout(r, 4)); // the batch has started (window 3 ms)
        const during = b.dump();
        await w;
        await during;
        const after = await b.dump();
        assert.equal(after!.length, 1);
    });

    it("writes arriving together go out as one add-flows --bundle, each with its own canonical result", async () => {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => b.submit({ type: "ensure", spec: spec(i) })));
        const writes = ovs.writes();
        assert.equal(writes.length, 1);
        assert.equal(writes[0].argv[5], "1", "--bundle");
        assert.equal(writes[0].argv[6], "--all", "50 flows: one full dump reads them back");
        assert.equal(writes[0].stdin!.split("\n").filter(Boolean).length, 50);
        assert.equal(writes[0].stdin!.split("\n")[7], addLine(spec(7)));
        assert.equal(ovs.count("canonicalise"), 0, "nothing else in table 22 at priority 1 on a fresh bridge: no scratch round trip");
        for (let i = 0; i < 50; i++) {
            assert.equal(results[i]!.cookie, cookie(i));
            assert.equal(results[i]!.match, `dl_vlan=${i}`);
            assert.equal(results[i]!.actions, "pop_vlan,set_field:0x813->tun_id,output:2", "OVS's text, not ours");
        }
        assert.equal(b.stats.batches, 1);
        assert.equal(ovs.count("dump-flows"), 1, "one dump before; the write reads back in the same round trip");
    });

    it("a failed batch is retried item by item: the error lands on its resource only", async () => {
        const ps = [
            b.submit({ type: "ensure", spec: spec(1) }),
            b.submit({ type: "ensure", spec: spec(2, { actions: "bad" }) }),
            b.submit({ type: "ensure", spec: spec(3) }),
        ];
        const r = await Promise.allSettled(ps);
        assert.equal(r[0].status, "fulfilled");
        assert.equal(r[2].status, "fulfilled");
        assert.equal(r[1].status, "rejected");
        assert.match((r[1] as PromiseRejectedResult).reason.message, /unknown action bad/);
        assert.match((r[1] as PromiseRejectedResult).reason.message, /actions=bad/);
        assert.deepEqual(
            ovs.bridges.get("br-tun")!.map((f) => f.cookie),
            [cookie(1), cookie(3)],
        );
        assert.equal(b.stats.retriedItems, 3);
    });

    it("deletes batch as cookie-scoped lines; deleting what is gone succeeds", async () => {
        await Promise.all([1, 2, 3].map((i) => b.submit({ type: "ensure", spec: spec(i) })));
        ovs.calls = [];
        await Promise.all([1, 2, 9].map((i) => b.submit({ type: "delete", cookie: cookie(i) })));
        const writes = ovs.writes();
        assert.equal(writes.length, 1);
        assert.deepEqual(writes[0].stdin!.trim().split("\n"), [deleteLine(cookie(1)), deleteLine(cookie(2)), deleteLine(cookie(9))]);
        assert.deepEqual(
            ovs.bridges.get("br-tun")!.map((f) => f.cookie),
            [cookie(3)],
        );
    });

    it("an actions update is one modify_strict scoped to our cookie", async () => {
        const first = await b.submit({ type: "ensure", spec: spec(1) });
        ovs.calls = [];
        const next = spec(1, { actions: "drop" });
        const got = await b.submit({ type: "ensure", spec: next, storedMatch: first!.match });
        assert.equal(got!.actions, "drop");
        const w = ovs.writes()[0];
        assert.equal(w.stdin, modifyLine(next) + "\n");
    });

    it("asks OVS (a scratch bridge) when the table already has flows at that priority: conflict, adoption", async () => {
        // Made by hand, the seed's way: cookie 0, OVS's spelling.
        ovs.bridges
            .get("br-tun")!
            .push({ cookie: "0x0", table: 22, priority: 1, idle: 0, hard: 0, match: "dl_vlan=1", actions: "pop_vlan,set_field:0x813->tun_id,output:2" });
        ovs.bridges.get("br-tun")!.push({ cookie: "0xabc", table: 22, priority: 1, idle: 0, hard: 0, match: "dl_vlan=2", actions: "drop" });
        // vlan_tci=0x1001/0x1fff is dl_vlan=1 to OVS: same identity as the hand-made flow, same actions.
        const [adopt, conflict, fresh] = await Promise.allSettled([
            b.submit({ type: "ensure", spec: spec(1, { match: "vlan_tci=0x1001/0x1fff" }) }),
            b.submit({ type: "ensure", spec: spec(2) }),
            b.submit({ type: "ensure", spec: spec(3) }),
        ]);
        assert.equal(ovs.count("canonicalise"), 1, "one scratch round trip for the whole batch");
        assert.equal(adopt.status, "fulfilled");
        assert.equal((adopt as PromiseFulfilledResult<any>).value.cookie, cookie(1));
        assert.equal(conflict.status, "rejected");
        assert.match((conflict as PromiseRejectedResult).reason.message, /not ours: cookie=0xabc, table=22, priority=1, dl_vlan=2 actions=drop/);
        assert.equal(fresh.status, "fulfilled");
        const flows = ovs.bridges.get("br-tun")!;
        assert.deepEqual(flows.map((f) => f.cookie).sort(), [cookie(1), cookie(3), "0xabc"].sort(), "the conflicting flow is untouched");
    });

    it("an add that replaced a sibling's flow (same identity, this stack) is undone and fails that resource only", async () => {
        await b.submit({ type: "ensure", spec: spec(1, { actions: "drop" }) });
        ovs.calls = [];
        // Another resource of the stack claims the same flow, spelt the way OVS reads as dl_vlan=1.
        const [dup, other] = await Promise.allSettled([
            b.submit({ type: "ensure", spec: spec(2, { match: "vlan_tci=0x1001/0x1fff" }) }),
            b.submit({ type: "ensure", spec: spec(3) }),
        ]);
        assert.equal(ovs.count("canonicalise"), 0, "siblings are checked after the write, not before");
        assert.equal(dup.status, "rejected");
        assert.match((dup as PromiseRejectedResult).reason.message, /another FlowEntry of this stack.*aliases.*put back/s);
        assert.equal(other.status, "fulfilled");
        const flows = ovs.bridges.get("br-tun")!;
        assert.deepEqual(flows.map((f) => [f.cookie, f.match, f.actions]).sort(), [
            [cookie(1), "dl_vlan=1", "drop"],
            [cookie(3), "dl_vlan=3", "pop_vlan,set_field:0x813->tun_id,output:2"],
        ]);
    });

    it("a bridge without OpenFlow 1.4 gets the same batch without --bundle", async () => {
        ovs.noBundle.add("br-tun");
        await Promise.all([1, 2].map((i) => b.submit({ type: "ensure", spec: spec(i) })));
        await b.submit({ type: "ensure", spec: spec(3) });
        const writes = ovs.writes();
        assert.deepEqual(
            writes.map((w) => w.argv[5] === "1"),
            [true, false, false],
        );
        assert.equal(ovs.bridges.get("br-tun")!.length, 3);
    });

    it("a missing bridge: deletes succeed, creates fail clearly", async () => {
        const gone = new BridgeFlows(ovs, conn, "br-gone");
        assert.equal(await gone.dump(), undefined);
        await gone.submit({ type: "delete", cookie: cookie(1) });
        await assert.rejects(gone.submit({ type: "ensure", spec: spec(1) }), /bridge br-gone on root@10.0.0.1:22 does not exist/);
    });

    it("writes queued while a batch is on the wire form the next batch", async () => {
        ovs.latencyMs = 15;
        const first = b.submit({ type: "ensure", spec: spec(0) });
        await new Promise((r) => setTimeout(r, 8));
        const rest = Array.from({ length: 20 }, (_, i) => b.submit({ type: "ensure", spec: spec(i + 1) }));
        await Promise.all([first, ...rest]);
        assert.equal(b.stats.batches, 2);
        assert.equal(ovs.writes().length, 2);
    });
});
