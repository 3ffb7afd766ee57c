import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { startSshd, TestSshd } from "../../helpers/sshd";

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
