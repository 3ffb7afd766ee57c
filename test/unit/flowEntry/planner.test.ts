import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    addFlows,
    addLine,
    canonicalise,
    decideEnsure,
    decideModify,
    deleteLine,
    DumpedFlow,
    dumpFlows,
    findOurs,
    findReplaced,
    flowCookie,
    isBundleUnsupported,
    isMissingBridge,
    mergeAfterWrite,
    modifyLine,
    needsCanonical,
    parseDumpFlows,
    parseFlowLine,
    readBackPerCookie,
    restoreLines,
    sameStack,
    stackCookie,
    toInputs,
    writeAndRead,
} from "../../../provider/flowEntry/planner";

// Fixtures: real `ovs-ofctl` 3.1.0 output of the seed's flows (plus a few with timeouts, flags and
// OpenFlow 1.3+ actions) on a netdev bridge:
//   ovs-ofctl -O OpenFlow10,…,OpenFlow15 --no-stats --no-names dump-flows BR   (bridge OF1.0+1.3+1.4 → 1.4)
//   ovs-ofctl -O … --no-names dump-flows BR                                     (same, with stats)
//   ovs-ofctl --no-names dump-flows BR                                          (bridge OF1.0 only)
const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "../../fixtures", f), "utf8");

const O = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";
const spec = { cookie: "0xd71a2b3c4d5e6f70", table: 22, priority: 32768, match: "dl_vlan=1", actions: "strip_vlan,set_tunnel:0x813,output:2,output:3" };

describe("FlowEntry planner", () => {
    describe("cookies", () => {
        it("are tagged 0xd7, share 16 stack bits within a stack, and are stable", () => {
            const a = flowCookie("dvrlab", "dev", "flood-vlan1");
            assert.equal(a, flowCookie("dvrlab", "dev", "flood-vlan1"));
            assert.match(a, /^0xd7[0-9a-f]{14}$/);
            const b = flowCookie("dvrlab", "dev", "learn");
            const c = flowCookie("dvrlab", "prod", "flood-vlan1");
            assert.notEqual(a, b);
            assert.notEqual(a, c);
            assert.ok(sameStack(a, b));
            assert.ok(!sameStack(a, c));
            assert.equal(a, "0xd738c06c728da4d1");
            assert.equal(stackCookie("dvrlab", "dev"), "0xd738c00000000000");
            assert.ok(!sameStack("0x0", a), "a hand-made flow is no stack's");
            assert.ok(!sameStack("0x1234", "0x1234"), "untagged cookies are not dvrlab's");
        });
    });

    describe("commands", () => {
        it("dump-flows and add-flows argv, exactly", () => {
            assert.deepEqual(dumpFlows("br-tun"), ["ovs-ofctl", "-O", O, "--no-names", "--no-stats", "dump-flows", "br-tun"]);
            assert.deepEqual(addFlows("br-tun", true), ["ovs-ofctl", "-O", O, "--no-names", "--bundle", "add-flows", "br-tun", "-"]);
            assert.deepEqual(addFlows("br-tun", false), ["ovs-ofctl", "-O", O, "--no-names", "add-flows", "br-tun", "-"]);
            const c = canonicalise("br-tun", "dvrlab-sabcdef");
            assert.deepEqual(c.slice(0, 2), ["sh", "-c"]);
            assert.deepEqual(c.slice(3), ["dvrlab-canonicalise", "br-tun", "dvrlab-sabcdef", "ovs-ofctl", "-O", O, "--no-names"]);
            assert.match(c[2], /trap 'ovs-vsctl --timeout=10 --if-exists del-br "\$s"' EXIT/);
        });

        it("write-and-read-back argv: the script, bridge, bundle flag, then cookies or --all", () => {
            const w = writeAndRead("br-tun", true, ["0xd71", "0xd72"]);
            assert.deepEqual([w[0], w[1]], ["sh", "-c"]);
            assert.deepEqual(w.slice(3), ["dvrlab-flows", "br-tun", "1", "0xd71", "0xd72"]);
            assert.deepEqual(writeAndRead("br-tun", false, "all").slice(3), ["dvrlab-flows", "br-tun", "", "--all"]);
            assert.match(w[2], /^set -e\n/);
            assert.match(w[2], new RegExp(`ovs-ofctl -O ${O} --no-names \\$\\{bundle:\\+--bundle\\} add-flows "\\$b" -`));
            assert.match(w[2], /dump-flows "\$b" "cookie=\$c\/-1"/);
        });

        it("reads back per cookie while that is cheaper than dumping the bridge", () => {
            assert.ok(readBackPerCookie(1, 0));
            assert.ok(!readBackPerCookie(2, 10));
            assert.ok(readBackPerCookie(3, 1000));
            assert.ok(!readBackPerCookie(4, 1000));
            assert.ok(readBackPerCookie(20, 10000));
        });

        it("flow_mod lines: add with cookie, modify_strict and delete scoped to it", () => {
            assert.equal(
                addLine(spec),
                "add cookie=0xd71a2b3c4d5e6f70,table=22,priority=32768,dl_vlan=1,actions=strip_vlan,set_tunnel:0x813,output:2,output:3",
            );
            assert.equal(
                addLine({ ...spec, match: undefined, idleTimeout: 30, hardTimeout: 60, actions: "drop" }),
                "add cookie=0xd71a2b3c4d5e6f70,table=22,priority=32768,idle_timeout=30,hard_timeout=60,actions=drop",
            );
            assert.equal(
                modifyLine(spec),
                "modify_strict cookie=0xd71a2b3c4d5e6f70/-1,table=22,priority=32768,dl_vlan=1,actions=strip_vlan,set_tunnel:0x813,output:2,output:3",
            );
            assert.equal(deleteLine(spec.cookie), "delete cookie=0xd71a2b3c4d5e6f70/-1");
        });

        it("recognises a missing bridge and a bridge without OpenFlow 1.4", () => {
            assert.ok(isMissingBridge("ovs-ofctl: nosuchbr is not a bridge or a socket\n"));
            assert.ok(
                isBundleUnsupported(
                    "2026-11-25T21:07:52Z|00001|vconn|WARN|unix:/run/openvswitch/br.mgmt: version negotiation failed (we support version 0x05, peer supports versions 0x01, 0x04)\novs-ofctl: br: failed to connect to socket (Broken pipe)",
                ),
            );
            assert.ok(!isBundleUnsupported("ovs-ofctl: -:1: unknown action foo"));
        });
    });

    describe("dump-flows parser", () => {
        it("parses OpenFlow 1.4 output without stats (what the provider asks for)", () => {
            const flows = parseDumpFlows(fixture("ovs-dump-flows-of14.txt"));
            assert.equal(flows.length, 17);
            const by = (c: string) => flows.find((f) => f.cookie === c)!;
            assert.deepEqual(by("0xa"), {
                cookie: "0xa",
                table: 0,
                priority: 10,
                idleTimeout: 0,
                hardTimeout: 0,
                flags: [],
                match: "arp,in_port=43",
                actions: "resubmit(,24)",
            });
            assert.deepEqual(by("0xc"), { cookie: "0xc", table: 0, priority: 1, idleTimeout: 0, hardTimeout: 0, flags: [], match: "", actions: "NORMAL" });
            assert.deepEqual(by("0xd"), {
                cookie: "0xd",
                table: 3,
                priority: 5,
                idleTimeout: 30,
                hardTimeout: 60,
                flags: [],
                match: "ip,nw_src=10.0.0.0/24",
                actions: "drop",
            });
            // OVS's own rewrites of the seed's text: why canonical forms come from OVS.
            assert.equal(by("0x5").priority, 32768);
            assert.equal(by("0x5").match, "dl_vlan=1");
            assert.equal(by("0x5").actions, "pop_vlan,set_field:0x813->tun_id,output:2,output:3");
            assert.equal(by("0x7").actions, "push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,9)");
            assert.equal(
                by("0x9").actions,
                "learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1",
            );
            assert.deepEqual(by("0xd7a1b2c3d4e5f607"), {
                cookie: "0xd7a1b2c3d4e5f607",
                table: 5,
                priority: 32768,
                idleTimeout: 0,
                hardTimeout: 0,
                flags: [],
                match: "",
                actions: "drop",
            });
            // Cookie 0 is not printed without stats; flags and importance sit in the header.
            const zero = flows.filter((f) => f.cookie === "0x0");
            assert.deepEqual(
                zero.map((f) => [f.table, f.priority, f.flags, f.match, f.actions]),
                [
                    [6, 8, ["reset_counts", "no_packet_counts"], "ip", "ct(commit,zone=5),output:2"],
                    [6, 7, ["send_flow_rem"], "udp,tp_dst=4789", "LOCAL"],
                    [7, 9, [], "ct_state=+est+trk,ip", "set_field:fa:16:3e:00:00:01->eth_src,goto_table:8"],
                ],
            );
        });

        it("reads the same flows from output with stats", () => {
            const a = parseDumpFlows(fixture("ovs-dump-flows-of14.txt"));
            const b = parseDumpFlows(fixture("ovs-dump-flows-of14-stats.txt"));
            assert.deepEqual(b, a);
        });

        it("parses OpenFlow 1.0 output (NXST_FLOW, idle_age) where OVS prints the 1.0 spelling", () => {
            const flows = parseDumpFlows(fixture("ovs-dump-flows-of10-stats.txt"));
            assert.equal(flows.length, 17);
            const f5 = flows.find((f) => f.cookie === "0x5")!;
            assert.equal(f5.actions, "strip_vlan,load:0x813->NXM_NX_TUN_ID[],output:2,output:3");
            assert.equal(flows.find((f) => f.cookie === "0x7")!.actions, "mod_vlan_vid:1,resubmit(,9)");
            assert.equal(flows.find((f) => f.cookie === "0xd")!.idleTimeout, 30);
        });

        it("handles a catch-all at default priority in table 0 with cookie 0, and refuses garbage", () => {
            assert.deepEqual(parseFlowLine(" actions=drop"), {
                cookie: "0x0",
                table: 0,
                priority: 32768,
                idleTimeout: 0,
                hardTimeout: 0,
                flags: [],
                match: "",
                actions: "drop",
            });
            assert.deepEqual(parseFlowLine(" cookie=0x1f, idle_timeout=5, actions=drop")!.idleTimeout, 5);
            assert.equal(parseFlowLine("NXST_FLOW reply (xid=0x4):"), undefined);
            assert.throws(() => parseFlowLine(" cookie=0x1, what is this actions=drop"), /cannot parse/);
        });
    });

    describe("decisions", () => {
        const flow = (p: Partial<DumpedFlow>): DumpedFlow => ({
            cookie: "0x0",
            table: 22,
            priority: 32768,
            idleTimeout: 0,
            hardTimeout: 0,
            flags: [],
            match: "dl_vlan=1",
            actions: "pop_vlan,set_field:0x813->tun_id,output:2,output:3",
            ...p,
        });
        const canon = flow({ cookie: spec.cookie });
        const add = addLine(spec);

        it("a bridge with nothing in that table/priority needs no canonical form: plain add", () => {
            const pre = [flow({ cookie: "0x1", table: 0, priority: 1, match: "in_port=1" })];
            assert.equal(needsCanonical(spec, pre), false);
            assert.deepEqual(decideEnsure(spec, pre, undefined, "br-tun"), { kind: "write", lines: [add] });
        });

        it("our identical flow is adopted as is; with other actions it is modified in place", () => {
            assert.ok(needsCanonical(spec, [canon]));
            assert.deepEqual(decideEnsure(spec, [canon], canon, "br-tun"), { kind: "noop" });
            assert.deepEqual(decideEnsure(spec, [{ ...canon, actions: "drop" }], canon, "br-tun"), { kind: "write", lines: [modifyLine(spec)] });
        });

        it("our flow with another identity (an interrupted run) is replaced", () => {
            const pre = [{ ...canon, match: "dl_vlan=7" }];
            assert.deepEqual(decideEnsure(spec, pre, canon, "br-tun"), { kind: "write", lines: [deleteLine(spec.cookie), add] });
        });

        it("an identical hand-made flow (cookie 0) is adopted by re-adding it with our cookie", () => {
            const d = decideEnsure(spec, [flow({})], canon, "br-tun");
            assert.equal(d.kind, "write");
            assert.deepEqual((d as any).lines, [add]);
            assert.match((d as any).note, /adopted a hand-made flow/);
        });

        it("a flow with the same identity but another owner or other actions is a conflict", () => {
            const other = decideEnsure(spec, [flow({ cookie: "0xb8a7772eecbcd5b8" })], canon, "br-tun");
            assert.equal(other.kind, "conflict");
            assert.match(
                (other as any).message,
                /same table, priority and match that is not ours: cookie=0xb8a7772eecbcd5b8, table=22, priority=32768, dl_vlan=1 actions=pop_vlan/,
            );
            const handOther = decideEnsure(spec, [flow({ actions: "drop" })], canon, "br-tun");
            assert.match((handOther as any).message, /made by hand, with other actions/);
            const timeouts = decideEnsure(spec, [flow({ idleTimeout: 10 })], canon, "br-tun");
            assert.equal(timeouts.kind, "conflict");
        });

        it("a flow of another resource of this stack is a conflict too, pointing at aliases", () => {
            const sibling = flowCookie("p", "s", "old-name");
            const mine = { ...spec, cookie: flowCookie("p", "s", "new-name") };
            const d = decideEnsure(mine, [flow({ cookie: sibling, actions: "drop" })], { ...canon, cookie: mine.cookie }, "br-tun");
            assert.equal(d.kind, "conflict");
            assert.match((d as any).message, new RegExp(`not ours: cookie=${sibling}, .*another FlowEntry of this stack.*aliases`));
        });

        it("after a write without canonical check: finds the sibling flow our add replaced, and how to put it back", () => {
            const sibling = flow({ cookie: flowCookie("p", "s", "a"), actions: "drop", flags: ["send_flow_rem"], idleTimeout: 7, importance: 3 });
            const ours = flow({ cookie: flowCookie("p", "s", "b") });
            const bystander = flow({ cookie: "0x5", match: "dl_vlan=2" });
            assert.deepEqual(findReplaced(ours, [sibling, bystander], [ours, bystander], new Set()), sibling);
            assert.equal(findReplaced(ours, [sibling, bystander], [ours, bystander], new Set([sibling.cookie])), undefined, "deleted in the same batch");
            assert.equal(findReplaced(ours, [bystander], [ours, bystander], new Set()), undefined);
            assert.deepEqual(restoreLines(sibling, ours.cookie), [
                `delete cookie=${ours.cookie}/-1`,
                `add cookie=${sibling.cookie},table=22,priority=32768,idle_timeout=7,importance=3,send_flow_rem,dl_vlan=1,actions=drop`,
            ]);
        });

        it("flows of this stack in the same table and priority need no canonical form (a fresh stack never pays for it)", () => {
            const sibling = flowCookie("p", "s", "sibling");
            const mine = { ...spec, cookie: flowCookie("p", "s", "mine") };
            assert.equal(needsCanonical(mine, [flow({ cookie: sibling, match: "dl_vlan=2" })]), false);
            assert.equal(needsCanonical(mine, [flow({ cookie: flowCookie("p", "other-stack", "x"), match: "dl_vlan=2" })]), true);
        });

        it("same table and priority but another match is not a conflict", () => {
            const pre = [flow({ cookie: "0x99", match: "dl_vlan=2" })];
            assert.ok(needsCanonical(spec, pre));
            assert.deepEqual(decideEnsure(spec, pre, canon, "br-tun"), { kind: "write", lines: [add] });
        });

        it("modify_strict only when the bridge holds exactly our stored flow", () => {
            assert.deepEqual(decideModify(spec, [canon], "dl_vlan=1"), { kind: "write", lines: [modifyLine(spec)] });
            assert.equal(decideModify(spec, [canon], undefined), undefined);
            assert.equal(decideModify(spec, [], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [{ ...canon, match: "dl_vlan=2" }], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [canon, { ...canon, table: 3 }], "dl_vlan=1"), undefined);
        });
    });

    describe("the bridge after a write", () => {
        const f = (cookie: string, match: string, actions = "drop"): DumpedFlow => ({
            cookie,
            table: 22,
            priority: 1,
            idleTimeout: 0,
            hardTimeout: 0,
            flags: [],
            match,
            actions,
        });
        it("is the dump before, minus what the written cookies had and what their adds replaced, plus what was read back", () => {
            const pre = [f("0x1", "dl_vlan=1"), f("0x2", "dl_vlan=2"), f("0x0", "dl_vlan=3"), f("0x4", "dl_vlan=4")];
            const back = [f("0x1", "dl_vlan=1", "output:2"), f("0x5", "dl_vlan=3")];
            assert.deepEqual(mergeAfterWrite(pre, new Set(["0x1", "0x2", "0x5"]), back), [f("0x4", "dl_vlan=4"), ...back]);
        });
    });

    describe("read: host flow in input form", () => {
        const olds: typeof spec & { idleTimeout?: number; ovsMatch: string; ovsActions: string } = {
            ...spec,
            match: "dl_vlan=1",
            ovsMatch: "dl_vlan=1",
            ovsActions: "pop_vlan,set_field:0x813->tun_id,output:2,output:3",
            actions: "strip_vlan,set_tunnel:0x813,output:2,output:3",
        };
        const host: DumpedFlow = {
            cookie: spec.cookie,
            table: 22,
            priority: 32768,
            idleTimeout: 0,
            hardTimeout: 0,
            flags: [],
            match: "dl_vlan=1",
            actions: olds.ovsActions,
        };

        it("keeps the user's spelling while OVS still prints what it printed after our write", () => {
            assert.deepEqual(toInputs(host, olds), olds);
        });
        it("reports OVS's text where the host drifted", () => {
            const r = toInputs({ ...host, actions: "drop", idleTimeout: 9 }, olds);
            assert.equal(r.actions, "drop");
            assert.equal(r.idleTimeout, 9);
            assert.equal(r.match, "dl_vlan=1");
            assert.equal(r.ovsActions, olds.ovsActions, "the stored canonical form stays: the drift shows until repaired");
            assert.equal(toInputs({ ...host, match: "" }, olds).match, undefined);
        });
    });

    describe("edges (each expectation a literal)", () => {
        const F = (o: Partial<DumpedFlow>): DumpedFlow => ({
            cookie: "0x0",
            table: 0,
            priority: 32768,
            idleTimeout: 0,
            hardTimeout: 0,
            flags: [],
            match: "",
            actions: "drop",
            ...o,
        });

        it("parseFlowLine: header pairs and flags in any order, importance, timeouts, a bare actions= line, blank and header lines", () => {
            assert.deepEqual(
                parseFlowLine(
                    " cookie=0xD7000000000000FF, duration=1.5s, table=20, n_packets=3, n_bytes=9, send_flow_rem reset_counts hard_timeout=300, idle_timeout=10, importance=7, priority=2,dl_vlan=1 actions=output:2",
                ),
                {
                    cookie: "0xd7000000000000ff",
                    table: 20,
                    priority: 2,
                    idleTimeout: 10,
                    hardTimeout: 300,
                    flags: ["send_flow_rem", "reset_counts"],
                    importance: 7,
                    match: "dl_vlan=1",
                    actions: "output:2",
                },
            );
            assert.deepEqual(parseFlowLine("actions=NORMAL"), F({ actions: "NORMAL" }));
            assert.deepEqual(parseFlowLine(" table=3, priority=0 actions=drop"), F({ table: 3, priority: 0 }));
            assert.deepEqual(parseFlowLine(" table=3, actions=drop"), F({ table: 3 }), "catch-all at the default priority");
            assert.deepEqual(parseFlowLine(" cookie=0x5, priority=10,in_port=2 actions=drop"), F({ cookie: "0x5", priority: 10, match: "in_port=2" }));
            assert.deepEqual(
                parseFlowLine(" in_port=2,priority=3 actions=drop"),
                F({ match: "in_port=2,priority=3" }),
                "priority= only counts at the start of the match",
            );
            assert.equal(parseFlowLine("NXST_FLOW reply (xid=0x4):"), undefined);
            assert.equal(parseFlowLine("xactions=drop"), undefined);
            assert.throws(() => parseFlowLine(" table=x, actions=drop"), /^Error: cannot parse dump-flows line: {2}table=x, actions=drop$/);
            assert.throws(() => parseFlowLine(" priority=1,in_port=1 oops actions=drop"), /cannot parse dump-flows line/);
            assert.deepEqual(parseDumpFlows("\n  \nNXST_FLOW reply (xid=0x4):\n table=1, priority=0 actions=drop\n"), [F({ table: 1, priority: 0 })]);
        });

        it("flow_mod lines carry timeouts only when set", () => {
            const f = { cookie: "0xd7a", table: 10, priority: 1, match: "", actions: "drop" };
            assert.equal(addLine(f), "add cookie=0xd7a,table=10,priority=1,actions=drop");
            assert.equal(addLine({ ...f, idleTimeout: 5 }), "add cookie=0xd7a,table=10,priority=1,idle_timeout=5,actions=drop");
            assert.equal(addLine({ ...f, hardTimeout: 6, match: "in_port=1" }), "add cookie=0xd7a,table=10,priority=1,hard_timeout=6,in_port=1,actions=drop");
            assert.equal(modifyLine({ ...f, hardTimeout: 6 }), "modify_strict cookie=0xd7a/-1,table=10,priority=1,actions=drop");
            assert.deepEqual(
                restoreLines(
                    F({ cookie: "0x0", table: 2, priority: 5, idleTimeout: 1, hardTimeout: 2, importance: 3, flags: ["send_flow_rem"], match: "in_port=1" }),
                    "0xd7a",
                ),
                ["delete cookie=0xd7a/-1", "add cookie=0x0,table=2,priority=5,idle_timeout=1,hard_timeout=2,importance=3,send_flow_rem,in_port=1,actions=drop"],
            );
            assert.deepEqual(restoreLines(F({ table: 2, priority: 5 }), "0xd7a"), ["delete cookie=0xd7a/-1", "add cookie=0x0,table=2,priority=5,actions=drop"]);
        });

        it("bundle and missing-bridge errors are recognised by OVS's own messages only", () => {
            assert.equal(isBundleUnsupported("ovs-ofctl: br0: version negotiation failed (we support version 0x05, peer supports version 0x01)"), true);
            assert.equal(isBundleUnsupported("OFPT_ERROR (OF1.3): OFPBFC_BAD_FLAGS"), true);
            assert.equal(isBundleUnsupported("bundle control is not supported"), true);
            assert.equal(isBundleUnsupported("Bundle Unsupported"), true);
            assert.equal(isBundleUnsupported("this command requires OpenFlow 1.4 or later"), true);
            assert.equal(isBundleUnsupported("br0 is not a bridge or a socket"), false);
            assert.equal(isMissingBridge("ovs-ofctl: br9 is not a bridge or a socket"), true);
            assert.equal(isMissingBridge("ovs-ofctl: br9: failed to connect"), false);
        });

        it("needsCanonical, decideModify and findOurs compare table, priority, match and timeouts each", () => {
            const spec = { cookie: "0xd7849f0000000001", table: 20, priority: 2, match: "dl_vlan=1", actions: "drop" };
            assert.equal(needsCanonical(spec, []), false);
            assert.equal(needsCanonical(spec, [F({ cookie: spec.cookie, table: 9 })]), true, "our cookie anywhere");
            assert.equal(needsCanonical(spec, [F({ table: 20, priority: 2 })]), true, "someone's flow at our table and priority");
            assert.equal(needsCanonical(spec, [F({ table: 20, priority: 3 })]), false);
            assert.equal(needsCanonical(spec, [F({ table: 21, priority: 2 })]), false);
            assert.equal(needsCanonical(spec, [F({ cookie: "0xd7849f0000000002", table: 20, priority: 2 })]), false, "this stack's: checked after the write");
            const mine = F({ cookie: spec.cookie, table: 20, priority: 2, match: "dl_vlan=1" });
            const line = { kind: "write", lines: ["modify_strict cookie=0xd7849f0000000001/-1,table=20,priority=2,dl_vlan=1,actions=drop"] };
            assert.deepEqual(decideModify(spec, [mine], "dl_vlan=1"), line);
            assert.equal(decideModify(spec, [mine], undefined), undefined);
            assert.equal(decideModify(spec, [mine, { ...mine, table: 1 }], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [{ ...mine, table: 1 }], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [{ ...mine, priority: 1 }], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [mine], "dl_vlan=2"), undefined);
            assert.equal(decideModify(spec, [{ ...mine, idleTimeout: 1 }], "dl_vlan=1"), undefined);
            assert.equal(decideModify(spec, [{ ...mine, hardTimeout: 1 }], "dl_vlan=1"), undefined);
            assert.deepEqual(decideModify({ ...spec, hardTimeout: 1 }, [{ ...mine, hardTimeout: 1 }], "dl_vlan=1"), {
                kind: "write",
                lines: ["modify_strict cookie=0xd7849f0000000001/-1,table=20,priority=2,dl_vlan=1,actions=drop"],
            });
            const a = { ...mine, table: 1 };
            const b = { ...mine, table: 20, match: "dl_vlan=2" };
            assert.equal(findOurs([a, b], spec.cookie), a, "no identity: the first");
            assert.equal(findOurs([a, b], spec.cookie, { table: 20, priority: 2 }), b);
            assert.equal(findOurs([a, b], spec.cookie, { table: 20, priority: 2, match: "dl_vlan=9" }), a, "no exact one: the first");
            assert.equal(findOurs([b], spec.cookie, { table: 1, priority: 2 }), b, "one: that one");
            assert.equal(findOurs([F({ cookie: "0x1" })], spec.cookie), undefined);
        });
    });
});
