import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { startSshd, TestSshd } from "../../helpers/sshd";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab, waitFor } from "../../helpers/lab";

// Loopback sshd → root network namespace: every name carries the dvrlt prefix.
const id = process.pid % 10000;
const QVB = `dvrlt-vb${id}`;
const QVO = `dvrlt-vo${id}`;
const QBR = `dvrlt-br${id}`;

function link(name: string): any | undefined {
    try {
        return JSON.parse(execFileSync("ip", ["-d", "-j", "link", "show", "dev", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))[0];
    } catch {
        return undefined;
    }
}
const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });
const tx = (dev: string) => sh(`ethtool -k ${dev} | sed -n 's/^tx-checksumming: \\([a-z]*\\).*/\\1/p'`).trim();

describe("VethPair provider on a real host", function () {
    this.timeout(30_000);
    let sshd: TestSshd;
    const p = () => provider("VethPair", 1);
    let inputs: any;
    let outs: any;
    const kernelDp = (() => {
        try {
            execFileSync("test", ["-d", "/sys/module/openvswitch"]);
            return true;
        } catch {
            return false;
        }
    })();

    before(async () => {
        sshd = await startSshd();
        await configure({ get: (k) => ({ "dvrlab:sshPrivateKey": sshd.clientKey, "dvrlab:knownHosts": sshd.knownHosts })[k] });
        sh(`ip link add name ${QBR} type bridge && ip link set ${QBR} up`);
        inputs = { connection: { host: sshd.host, port: sshd.port }, owner: "dvrlab:itest/dev", name: QVB, peer: QVO, nameEnd: { promisc: true, master: QBR } };
    });
    after(async () => {
        for (const n of [QVB, QVO, QBR]) if (link(n)) sh(`ip link del dev ${n}`);
        closeExecutor();
        await sshd?.stop();
    });

    it("creates the pair like the seed: qvb promisc in qbr, both up, offload by datapath detection", async () => {
        const r = await p().create(inputs);
        outs = r.outs;
        const a = link(QVB);
        const b = link(QVO);
        assert.equal(a.linkinfo.info_kind, "veth");
        assert.equal(a.link, QVO);
        assert.equal(b.link, QVB);
        assert.equal(a.master, QBR);
        assert.ok(a.flags.includes("PROMISC"));
        assert.ok(a.flags.includes("UP") && b.flags.includes("UP"));
        assert.equal(a.ifalias, "dvrlab:itest/dev");
        assert.equal(outs.txChecksum, kernelDp);
        assert.equal(tx(QVB), kernelDp ? "on" : "off");
        assert.equal(tx(QVO), kernelDp ? "on" : "off");
    });

    it("read equals what was created", async () => {
        const r = await p().read(outs.id, outs);
        const { dvrlabVersion: _v, ...props } = r.props;
        const { dvrlabVersion: _w, ...want } = outs;
        assert.deepEqual(props, want);
        assert.deepEqual(await p().diff("x", r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("read shows drift (removed from the bridge, promisc off, offload on); update repairs in place", async () => {
        sh(`ip link set dev ${QVB} nomaster promisc off && ethtool -K ${QVO} tx ${kernelDp ? "off" : "on"}`);
        const r = await p().read(outs.id, outs);
        assert.deepEqual(r.props.nameEnd, { promisc: false });
        assert.equal(r.props.txChecksum, !kernelDp);
        const d = await p().diff("x", r.props, inputs);
        assert.equal(d.changes, true);
        const ifindex = link(QVB).ifindex;
        await p().update("x", r.props, inputs);
        assert.equal(link(QVB).ifindex, ifindex);
        assert.equal(link(QVB).master, QBR);
        assert.ok(link(QVB).flags.includes("PROMISC"));
        assert.equal(tx(QVO), kernelDp ? "on" : "off");
    });

    it("an mtu change updates both ends in place", async () => {
        await p().update("x", outs, { ...inputs, mtu: 1450 });
        assert.equal(link(QVB).mtu, 1450);
        assert.equal(link(QVO).mtu, 1450);
    });

    it("create adopts an existing pair of ours and refuses a stray end", async () => {
        const r = await p().create(inputs);
        assert.equal(r.id, `127.0.0.1/${QVB}`);
        sh(`ip link del dev ${QVB}`);
        sh(`ip link add ${QVO} type bridge`);
        await assert.rejects(p().create(inputs), /exists and is not one end of the pair/);
        assert.equal(link(QVB), undefined, "nothing created");
        sh(`ip link del dev ${QVO}`);
    });

    it("create refuses a pair it did not make, naming host and pair, and changes nothing", async () => {
        sh(`ip link add ${QVB} type veth peer name ${QVO}`);
        await assert.rejects(p().create(inputs), {
            message: `VethPair ${QVB}/${QVO} on root@127.0.0.1:${sshd.port}: exists and dvrlab did not create it (no owner alias (ip link alias)); dvrlab does not take it over: remove it (ip link del ${QVB}) or use other names`,
        });
        assert.equal(link(QVB).ifalias, undefined);
        assert.equal(link(QVO).ifalias, undefined);
        sh(`ip link del dev ${QVB}`);
    });

    it("delete removes both ends; again is fine; a pair not ours is refused", async () => {
        await p().create(inputs);
        await p().delete("x", outs);
        assert.equal(link(QVB), undefined);
        assert.equal(link(QVO), undefined);
        await p().delete("x", outs);
        assert.deepEqual(await p().read("x", outs), {});
        sh(`ip link add ${QVB} type veth peer name ${QVO}`);
        await assert.rejects(p().delete("x", outs), /not deleting/);
        sh(`ip link del dev ${QVB}`);
    });
});

// On a lab host (no kernel datapath): the peer end becomes a port of a netdev OVS bridge, whose
// userspace datapath turns PROMISC on on it. That end's promisc is not the user's: no drift.
describe("VethPair with its peer end in a netdev OVS bridge (lab)", function () {
    this.timeout(60_000);
    const HOST = LAB["server-64"];
    const tag = process.pid % 10000;
    const BR = `dvrlt-ob${tag}`;
    const VB = `dvrlt-pb${tag}`;
    const VO = `dvrlt-po${tag}`;
    const QB = `dvrlt-qb${tag}`;
    const connection = { host: HOST };
    const owner = "dvrlab:itest/dev";
    const bridgeIn = { connection, owner, name: BR, datapathType: "netdev" };
    const vethIn = { connection, owner, name: VB, peer: VO, nameEnd: { promisc: true, master: QB } };
    const portIn = { connection, owner, bridge: BR, name: VO };
    let bridge: any, veth: any, port: any;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(HOST, 'ip link add name "$1" type bridge && ip link set "$1" up', QB);
    });
    after(async () => {
        if (!labIsUp) return;
        hostSh(HOST, 'ovs-vsctl --if-exists del-br "$1"; ip link del dev "$2" 2>/dev/null; ip link del dev "$3" 2>/dev/null; true', BR, VB, QB);
        closeExecutor();
    });

    it("OvsBridge netdev + VethPair + OvsPort on the peer end: OVS sets PROMISC on the peer end", async () => {
        bridge = (await provider("OvsBridge", 1).create(bridgeIn)).outs;
        veth = (await provider("VethPair", 1).create(vethIn)).outs;
        assert.deepEqual(veth.peerEnd, {});
        port = (await provider("OvsPort", 1).create(portIn)).outs;
        const flags = (dev: string) => JSON.parse(hostCheck(HOST, 'ip -j link show dev "$1"', dev))[0].flags as string[];
        await waitFor("OVS to open the peer end", 10_000, () => flags(VO).includes("PROMISC") || undefined);
        assert.ok(flags(VB).includes("PROMISC"), "the user's promisc on the name end");
    });

    it("read equals the inputs (no promisc drift on the OVS end), diff finds no change", async () => {
        const p = provider("VethPair", 1);
        const r = await p.read(`${HOST}/${VB}`, veth);
        for (const k of ["name", "peer", "up", "nameEnd", "peerEnd", "owner", "txChecksum"]) assert.deepEqual(r.inputs[k], veth[k], k);
        assert.deepEqual(r.inputs.peerEnd, {});
        assert.deepEqual(r.inputs.nameEnd, { promisc: true, master: QB });
        const news = (await p.check({}, vethIn)).inputs;
        assert.deepEqual(await p.diff("x", r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
        // the same through the bridge and the port
        for (const [kind, outs, inputs] of [
            ["OvsBridge", bridge, bridgeIn],
            ["OvsPort", port, portIn],
        ] as const) {
            const q = provider(kind, 1);
            const rr = await q.read("x", outs);
            assert.deepEqual(
                await q.diff("x", rr.props, (await q.check({}, inputs)).inputs),
                { changes: false, replaces: [], deleteBeforeReplace: false },
                kind,
            );
        }
    });

    it("a version 1 state (promisc: false stored for the OVS end) reads without drift", async () => {
        const p = provider("VethPair", 1);
        const v1 = { ...veth, peerEnd: { promisc: false }, dvrlabVersion: 1 };
        const r = await p.read("x", v1);
        assert.deepEqual(r.inputs.peerEnd, {});
        assert.deepEqual(await p.diff("x", r.props, (await p.check({}, vethIn)).inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("promisc set by the user on the OVS end is managed: off by hand is drift, update repairs", async () => {
        const p = provider("VethPair", 1);
        const wanted = { ...vethIn, peerEnd: { promisc: true } };
        const outs = (await p.update("x", veth, (await p.check({}, wanted)).inputs)).outs;
        assert.deepEqual(outs.peerEnd, { promisc: true });
        hostCheck(HOST, 'ip link set dev "$1" promisc off', VO);
        const r = await p.read("x", outs);
        // OVS's own promiscuity keeps the device promiscuous, but the PROMISC flag is what we manage
        const flags = JSON.parse(hostCheck(HOST, 'ip -j link show dev "$1"', VO))[0].flags as string[];
        assert.deepEqual(r.inputs.peerEnd, { promisc: flags.includes("PROMISC") });
        if (!flags.includes("PROMISC")) {
            assert.equal((await p.diff("x", r.props, (await p.check({}, wanted)).inputs)).changes, true);
            await p.update("x", r.props, (await p.check({}, wanted)).inputs);
            assert.ok((JSON.parse(hostCheck(HOST, 'ip -j link show dev "$1"', VO))[0].flags as string[]).includes("PROMISC"));
        }
    });

    it("delete: port, pair, bridge; nothing left", async () => {
        await provider("OvsPort", 1).delete("x", port);
        await provider("VethPair", 1).delete("x", veth);
        await provider("OvsBridge", 1).delete("x", bridge);
        assert.equal(hostSh(HOST, 'ip link show dev "$1" || ip link show dev "$2" || ovs-vsctl br-exists "$3"', VB, VO, BR).code === 0, false);
    });
});
