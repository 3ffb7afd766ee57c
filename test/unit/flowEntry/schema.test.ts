import { strict as assert } from "assert";
import { providerFor } from "../../../provider/core/kind";
import { flowEntryKind } from "../../../provider/flowEntry/kind";
import { refusesEach } from "../../helpers/checkCases";

// check() must name the bad field and never touch a host: the executor here throws if used.
const noHost = () => {
    throw new Error("check touched a host");
};
const p = providerFor(flowEntryKind, noHost as any);
const good = {
    connection: { host: "172.30.124.233" },
    owner: "dvrlab:p/s",
    bridge: "br-tun",
    table: 10,
    priority: 1,
    actions:
        "learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1",
    cookie: "0xd71a2b3c4d5e6f70",
};

describe("FlowEntry check and diff", () => {
    it("accepts the seed's learn action and a catch-all match, keeping the user's form", async () => {
        const r = await p.check({}, { ...good, __provider: "x" });
        assert.equal(r.failures, undefined);
        assert.equal(r.inputs.__provider, "x");
        const r2 = await p.check({}, { ...good, table: 22, priority: 32768, match: "dl_vlan=1", actions: "strip_vlan,set_tunnel:0x813,output:2,output:3" });
        assert.equal(r2.failures, undefined);
        const r3 = await p.check(
            {},
            { ...good, match: "ct_state=+trk-new,ip,nw_src=10.0.0.0/24", actions: "ct(commit,zone=5),goto_table:60", idleTimeout: 30, hardTimeout: 0 },
        );
        assert.equal(r3.failures, undefined);
    });

    const bad: [string, any, string][] = [
        ["match", { match: "" }, "omit match"],
        ["match", { match: "in_port=1,actions=drop" }, "actions="],
        ["match", { match: "in_port=1\ndelete" }, "no spaces, quotes, newlines"],
        ["match", { match: "in_port=1;reboot" }, "no spaces"],
        ["match", { match: "in_port=$(id)" }, "no spaces"],
        ["match", { match: "in_port=1 ip" }, "no spaces"],
        ["match", { match: "priority=9,ip" }, "priority cannot be set in a match"],
        ["match", { match: "cookie=0x1,ip" }, "cookie cannot be set"],
        ["match", { match: "ip,table=3" }, "table cannot be set"],
        ["match", { match: "ip,,tcp" }, "stray comma"],
        ["actions", { actions: "" }, "use drop"],
        ["actions", { actions: "output:1\nadd table=0,actions=NORMAL" }, "no spaces, quotes, newlines"],
        ["actions", { actions: "output:1`id`" }, "no spaces"],
        ["actions", { actions: "output:'1'" }, "no spaces"],
        ["actions", { actions: "actions=drop" }, "without the leading actions="],
        ["table", { table: 255 }, ""],
        ["table", { table: -1 }, ""],
        ["priority", { priority: 65536 }, ""],
        ["priority", { priority: 1.5 }, ""],
        ["idleTimeout", { idleTimeout: 70000 }, ""],
        ["bridge", { bridge: "br-tun;x" }, "letters"],
        ["bridge", { bridge: "br-0123456789abcd" }, "15"],
        ["cookie", { cookie: "0x0" }, "not ownable"],
        ["cookie", { cookie: "12" }, "hex"],
        ["cookie", { cookie: "0x1ffffffffffffffff" }, "hex"],
    ];
    refusesEach(() => p, good, bad);

    it("diff: actions update in place; table, priority, match, timeouts, bridge, cookie replace (delete first)", async () => {
        const olds = { ...good, match: "in_port=3", ovsMatch: "in_port=3", ovsActions: "x", dvrlabVersion: 1, __provider: "a" };
        const news = { ...good, match: "in_port=3", __provider: "b" };
        assert.deepEqual(await p.diff("id", olds, news), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await p.diff("id", olds, { ...news, actions: "drop" }), { changes: true, replaces: [], deleteBeforeReplace: false });
        for (const [k, v] of Object.entries({
            table: 11,
            priority: 2,
            match: "in_port=2",
            idleTimeout: 5,
            hardTimeout: 5,
            bridge: "br-int",
            cookie: "0xd71a2b3c4d5e6f71",
        })) {
            assert.deepEqual(await p.diff("id", olds, { ...news, [k]: v }), { changes: true, replaces: [k], deleteBeforeReplace: true }, k);
        }
        assert.deepEqual((await p.diff("id", olds, { ...news, connection: { host: "172.30.124.64" } })).replaces, ["connection"]);
    });
});
