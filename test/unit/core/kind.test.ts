import { strict as assert } from "assert";
import { providerFor, UNKNOWN, hasUnknown } from "../../../provider/core/kind";
import { ovsPortKind } from "../../../provider/ovsPort/kind";
import { flowEntryKind } from "../../../provider/flowEntry/kind";
import { vethPairKind } from "../../../provider/vethPair/kind";
import { linuxBridgeKind } from "../../../provider/linuxBridge/kind";
import { ovsBridgeKind } from "../../../provider/ovsBridge/kind";

// check and diff never touch a host: an executor that fails proves it.
const noHost = () => {
    throw new Error("check/diff must not reach a host");
};
const conn = { host: "10.0.0.1" };
const owner = "dvrlab:p/s";
const port = providerFor(ovsPortKind, noHost);
const flow = providerFor(flowEntryKind, noHost);
const veth = providerFor(vethPairKind, noHost);
const lb = providerFor(linuxBridgeKind, noHost);
const br = providerFor(ovsBridgeKind, noHost);

const flowIn = {
    connection: conn,
    owner,
    bridge: "br-tun",
    table: 22,
    priority: 1,
    match: "dl_vlan=1",
    actions: "strip_vlan,output:2",
    cookie: "0xd71a2b3c4d5e6f70",
};
// What create stored: the parsed inputs plus outputs (check/diff only read the input keys).
const stored = async (p: any, inputs: any, outs: object = {}) => ({ ...(await p.check({}, inputs)).inputs, ...outs, hostResolved: {} });

describe("generic provider: unknown values at preview", () => {
    it("finds the sentinel nested in objects and arrays", () => {
        assert.equal(hasUnknown({ a: [1, { b: UNKNOWN }] }), true);
        assert.equal(hasUnknown({ a: [1, { b: "x" }] }), false);
    });

    it("check: OvsPort with its bridge unknown passes, known fields are still validated and defaulted", async () => {
        const r = await port.check({}, { connection: conn, owner, bridge: UNKNOWN, name: "qvo-1" });
        assert.equal(r.failures, undefined);
        assert.equal(r.inputs.bridge, UNKNOWN);
        assert.equal(r.inputs.type, "system");
        assert.deepEqual(r.inputs.connection, { host: "10.0.0.1", port: 22, user: "root", keyRef: "sshPrivateKey" });
        const bad = await port.check({}, { connection: conn, owner, bridge: UNKNOWN, name: "qvo;rm", tag: 5000 });
        assert.deepEqual(bad.failures!.map((f: any) => f.property).sort(), ["name", "tag"]);
    });

    it("check: unknown connection (whole or its host), unknown tunnel option", async () => {
        assert.equal(
            (await port.check({}, { connection: UNKNOWN, owner, bridge: "br-tun", name: "vx1", type: "vxlan", options: { remoteIp: UNKNOWN } })).failures,
            undefined,
        );
        assert.equal(
            (await port.check({}, { connection: { host: UNKNOWN }, owner, bridge: "br-tun", name: "vx1", type: "vxlan", options: { remoteIp: "10.0.0.2" } }))
                .failures,
            undefined,
        );
        // known and wrong next to an unknown: still refused
        const r = await port.check(
            {},
            { connection: { host: UNKNOWN }, owner, bridge: "br-tun", name: "vx1", type: "vxlan", options: { remoteIp: "10.0.0.300" } },
        );
        assert.deepEqual(
            r.failures!.map((f: any) => f.property),
            ["options.remoteIp"],
        );
    });

    it("check: FlowEntry with its match unknown passes; a bad known action is refused", async () => {
        assert.equal((await flow.check({}, { ...flowIn, match: UNKNOWN })).failures, undefined);
        const r = await flow.check({}, { ...flowIn, match: UNKNOWN, actions: "actions=drop" });
        assert.deepEqual(
            r.failures!.map((f: any) => f.property),
            ["actions"],
        );
    });

    it("check: a cross-field refinement over an unknown is left for later (VethPair name unknown, peer known)", async () => {
        assert.equal((await veth.check({}, { connection: conn, owner, name: UNKNOWN, peer: UNKNOWN })).failures, undefined);
        assert.equal((await veth.check({}, { connection: conn, owner, name: UNKNOWN, peer: "qvo-1" })).failures, undefined);
        assert.deepEqual(
            (await veth.check({}, { connection: conn, owner, name: "qvo-1", peer: "qvo-1" })).failures!.map((f: any) => f.property),
            ["peer"],
        );
    });

    it("diff: an unknown replaceOn field is a replacement; an unknown in-place field an update", async () => {
        const olds = await stored(port, { connection: conn, owner, bridge: "br-int", name: "qvo-1" }, { ofport: 3 });
        assert.deepEqual(await port.diff("x", olds, { connection: conn, owner, bridge: UNKNOWN, name: "qvo-1" }), {
            changes: true,
            replaces: ["bridge"],
            deleteBeforeReplace: true,
        });
        assert.deepEqual(await port.diff("x", olds, { connection: conn, owner, bridge: "br-int", name: "qvo-1", tag: UNKNOWN }), {
            changes: true,
            replaces: [],
            deleteBeforeReplace: false,
        });
        assert.deepEqual(await port.diff("x", olds, { connection: { host: UNKNOWN }, owner, bridge: "br-int", name: "qvo-1" }), {
            changes: true,
            replaces: ["connection"],
            deleteBeforeReplace: true,
        });
        // a known change next to an unknown is found too
        const d = await port.diff("x", olds, { connection: conn, owner, bridge: "br-int", name: "qvo-2", tag: UNKNOWN });
        assert.deepEqual(d.replaces, ["name"]);
    });

    it("diff: FlowEntry match unknown replaces; unknown actions update in place", async () => {
        const olds = await stored(flow, flowIn, { ovsMatch: "dl_vlan=1", ovsActions: "strip_vlan,output:2" });
        assert.deepEqual(await flow.diff("x", olds, { ...flowIn, match: UNKNOWN }), { changes: true, replaces: ["match"], deleteBeforeReplace: true });
        assert.deepEqual(await flow.diff("x", olds, { ...flowIn, actions: UNKNOWN }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await flow.diff("x", olds, flowIn), { changes: false, replaces: [], deleteBeforeReplace: false });
    });
});

describe("generic provider: check returns inputs with defaults", () => {
    it("applies zod defaults so stored and new inputs compare equal", async () => {
        const r = await lb.check({}, { connection: conn, owner, name: "qbr-1" });
        assert.deepEqual(r.inputs, {
            connection: { host: "10.0.0.1", port: 22, user: "root", keyRef: "sshPrivateKey" },
            owner,
            name: "qbr-1",
            stp: false,
            forwardDelay: 0,
            multicastSnooping: false,
            up: true,
        });
        // idempotent: the checked inputs check to themselves
        assert.deepEqual((await lb.check(r.inputs, r.inputs)).inputs, r.inputs);
    });

    it("leaves host-decided inputs unset (no undefined members for Pulumi's Struct)", async () => {
        const v = await veth.check({}, { connection: conn, owner, name: "qvb-1", peer: "qvo-1", nameEnd: { promisc: true } });
        assert.ok(!("txChecksum" in v.inputs));
        assert.ok(!("mtu" in v.inputs));
        assert.ok(!Object.values(v.inputs).includes(undefined));
        const b = await br.check({}, { connection: conn, owner, name: "br-int" });
        assert.ok(!("datapathType" in b.inputs));
        assert.deepEqual(b.inputs.protocols, ["OpenFlow10", "OpenFlow13", "OpenFlow14"]);
    });

    it("a host default left unset is no change after create resolved it", async () => {
        const inputs = (await br.check({}, { connection: conn, owner, name: "br-int" })).inputs;
        const olds = { ...inputs, datapathType: "netdev", hostResolved: { datapathType: "netdev" } };
        assert.deepEqual(await br.diff("x", olds, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });
});

describe("generic provider: a host's stable name is its identity (connection.name)", () => {
    const named = { host: "10.0.0.1", name: "server-1" };
    const lbIn = (connection: any) => ({ connection, owner, name: "qbr-1" });
    const noChange = { changes: false, replaces: [], deleteBeforeReplace: false };
    const inPlace = { changes: true, replaces: [], deleteBeforeReplace: false };
    const replace = { changes: true, replaces: ["connection"], deleteBeforeReplace: true };

    it("a state written without name, then the same host with its name: an in-place update, no replace", async () => {
        const olds = await stored(lb, lbIn(conn));
        assert.deepEqual(await lb.diff("x", olds, lbIn(named)), inPlace);
    });

    it("with a name on both sides: a new address, port, user, key, become, agent or bastion is in place", async () => {
        const olds = await stored(lb, lbIn(named));
        assert.deepEqual(await lb.diff("x", olds, lbIn(named)), noChange);
        for (const c of [
            { ...named, host: "192.0.2.7" },
            { ...named, port: 2222 },
            { ...named, user: "debian", become: "sudo" },
            { ...named, keyRef: "otherKey" },
            { ...named, agent: true },
            { ...named, host: "10.1.0.68", bastion: { host: "192.0.2.2", user: "jump" } },
        ]) {
            assert.deepEqual(await lb.diff("x", olds, lbIn(c)), inPlace, JSON.stringify(c));
        }
    });

    it("a new name is another host: replace; without names a new address replaces (as before)", async () => {
        assert.deepEqual(await lb.diff("x", await stored(lb, lbIn(named)), lbIn({ ...named, name: "server-2" })), replace);
        assert.deepEqual(await lb.diff("x", await stored(lb, lbIn(conn)), lbIn({ host: "10.0.0.2" })), replace);
        // naming a host while moving it: the old identity was the address, so that is a replace
        assert.deepEqual(await lb.diff("x", await stored(lb, lbIn(conn)), lbIn({ host: "10.0.0.2", name: "server-1" })), replace);
        // dropping the name keeps the host if the address stays
        assert.deepEqual(await lb.diff("x", await stored(lb, lbIn(named)), lbIn(conn)), inPlace);
    });

    it("preview: an unknown address of a named host is not a replace; an unknown name is", async () => {
        const olds = await stored(lb, lbIn(named));
        assert.deepEqual(await lb.diff("x", olds, lbIn({ host: UNKNOWN, name: "server-1" })), inPlace);
        assert.deepEqual(await lb.diff("x", olds, lbIn({ host: "10.0.0.1", name: UNKNOWN })), replace);
        assert.deepEqual(await lb.diff("x", olds, lbIn(UNKNOWN)), replace);
    });

    it("update with only the connection changed runs nothing on the host and keeps the outputs", async () => {
        const olds = { ...(await stored(port, { connection: conn, owner, bridge: "br-int", name: "qvo-1" }, { ofport: 3 })), dvrlabVersion: 1 };
        const moved = { host: "10.1.0.68", name: "server-1", bastion: { host: "192.0.2.2", user: "jump" }, agent: true };
        const r: any = await port.update("10.0.0.1/br-int/qvo-1", olds, { connection: moved, owner, bridge: "br-int", name: "qvo-1" });
        assert.equal(r.outs.ofport, 3);
        assert.deepEqual(r.outs.connection, {
            host: "10.1.0.68",
            port: 22,
            user: "root",
            keyRef: "sshPrivateKey",
            name: "server-1",
            bastion: { host: "192.0.2.2", port: 22, user: "jump" },
            agent: true,
        });
        // anything else changed too: the kind's update runs (and here reaches for the host)
        await assert.rejects(port.update("x", olds, { connection: moved, owner, bridge: "br-int", name: "qvo-1", tag: 7 }), /must not reach a host/);
    });

    it("check names the bad connection field", async () => {
        const r = await lb.check(
            {},
            lbIn({ host: "10.0.0.1", name: "bad name", agent: "yes", bastion: { host: "no host!", port: 0, user: "Jump", extra: 1 } }),
        );
        assert.deepEqual(r.failures!.map((f: any) => f.property).sort(), [
            "connection.agent",
            "connection.bastion",
            "connection.bastion.host",
            "connection.bastion.port",
            "connection.bastion.user",
            "connection.name",
        ]);
    });
});
