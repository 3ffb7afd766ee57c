import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { startSshd, TestSshd } from "../../helpers/sshd";

// The loopback sshd runs commands in this machine's root network namespace: bridge names carry
// the dvrlt- prefix so nothing else can be touched.
const NAME = `dvrlt-b${process.pid % 100000}`;
const OTHER = `dvrlt-c${process.pid % 100000}`;

function link(name: string): any | undefined {
    try {
        return JSON.parse(execFileSync("ip", ["-d", "-j", "link", "show", "dev", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))[0];
    } catch {
        return undefined;
    }
}
const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });

describe("LinuxBridge provider on a real host", function () {
    this.timeout(30_000);
    let sshd: TestSshd;
    const p = () => provider("LinuxBridge", 1);
    let inputs: any;

    before(async () => {
        sshd = await startSshd();
        await configure({ get: (k) => ({ "dvrlab:sshPrivateKey": sshd.clientKey, "dvrlab:knownHosts": sshd.knownHosts })[k] });
        inputs = { connection: { host: sshd.host, port: sshd.port }, owner: "dvrlab:itest/dev", name: NAME };
    });
    after(async () => {
        for (const n of [NAME, OTHER]) if (link(n)) sh(`ip link del dev ${n}`);
        closeExecutor();
        await sshd?.stop();
    });

    it("creates the bridge with the seed's settings and marks it ours", async () => {
        const r = await p().create(inputs);
        assert.equal(r.id, `127.0.0.1/${NAME}`);
        const l = link(NAME);
        assert.equal(l.linkinfo.info_kind, "bridge");
        assert.equal(l.linkinfo.info_data.stp_state, 0);
        assert.equal(l.linkinfo.info_data.forward_delay, 0);
        assert.equal(l.linkinfo.info_data.mcast_snooping, 0);
        assert.ok(l.flags.includes("UP"));
        assert.equal(l.ifalias, "dvrlab:itest/dev");
        inputs.outs = r.outs;
    });

    it("read returns the inputs unchanged while the host matches", async () => {
        const r = await p().read(`127.0.0.1/${NAME}`, inputs.outs);
        assert.deepEqual(r.props, inputs.outs);
    });

    it("read shows out-of-band drift, update repairs it in place", async () => {
        sh(`ip link set dev ${NAME} type bridge mcast_snooping 1 && ip link set dev ${NAME} down`);
        const r = await p().read(`127.0.0.1/${NAME}`, inputs.outs);
        assert.equal(r.props.multicastSnooping, true);
        assert.equal(r.props.up, false);
        const d = await p().diff(r.id, r.props, inputs);
        assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
        const ifindex = link(NAME).ifindex;
        await p().update(r.id, r.props, inputs);
        const l = link(NAME);
        assert.equal(l.ifindex, ifindex, "updated in place, not recreated");
        assert.equal(l.linkinfo.info_data.mcast_snooping, 0);
        assert.ok(l.flags.includes("UP"));
    });

    it("updates settings in place (stp on needs a 2–30 s delay)", async () => {
        const news = { ...inputs, stp: true, forwardDelay: 4 };
        await p().update(`127.0.0.1/${NAME}`, inputs.outs, news);
        const l = link(NAME);
        assert.notEqual(l.linkinfo.info_data.stp_state, 0);
        assert.equal(l.linkinfo.info_data.forward_delay, 400);
        await p().update(`127.0.0.1/${NAME}`, inputs.outs, inputs);
        assert.equal(link(NAME).linkinfo.info_data.stp_state, 0);
    });

    it("an MTU given is set, its drift read back and repaired in place; left unset it is not managed", async () => {
        const news = { ...inputs, mtu: 1450 };
        await p().update(`127.0.0.1/${NAME}`, inputs.outs, news);
        assert.equal(link(NAME).mtu, 1450);
        sh(`ip link set dev ${NAME} mtu 1400`);
        const r = await p().read(`127.0.0.1/${NAME}`, { ...inputs.outs, mtu: 1450 });
        assert.equal(r.props.mtu, 1400);
        assert.deepEqual(await p().diff(r.id, r.props, news), { changes: true, replaces: [], deleteBeforeReplace: false });
        await p().update(r.id, r.props, news);
        assert.equal(link(NAME).mtu, 1450);
        const unmanaged = await p().read(`127.0.0.1/${NAME}`, inputs.outs);
        assert.equal(unmanaged.props.mtu, undefined);
        sh(`ip link set dev ${NAME} mtu 1500`);
    });

    it("create refuses an identical bridge it did not make, naming host, bridge and the way out, and changes nothing", async () => {
        sh(`ip link add name ${OTHER} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`);
        await assert.rejects(p().create({ ...inputs, name: OTHER }), {
            message: `LinuxBridge ${OTHER} on root@127.0.0.1:${sshd.port}: exists and dvrlab did not create it (no owner alias (ip link alias)); dvrlab does not take it over: remove it (ip link del ${OTHER}) or use another name`,
        });
        assert.equal(link(OTHER).ifalias, undefined);
        assert.equal(link(OTHER).flags.includes("UP"), false, "not brought up either");
        sh(`ip link del dev ${OTHER}`);
    });

    it("create finds its own bridge again by its mark after a lost state and converges it (same ifindex)", async () => {
        await p().create({ ...inputs, name: OTHER });
        const ifindex = link(OTHER).ifindex;
        sh(`ip link set dev ${OTHER} type bridge mcast_snooping 1`);
        await p().create({ ...inputs, name: OTHER });
        assert.equal(link(OTHER).ifindex, ifindex);
        assert.equal(link(OTHER).linkinfo.info_data.mcast_snooping, 0);
        sh(`ip link del dev ${OTHER}`);
    });

    it("create fails clearly on a conflicting bridge and changes nothing", async () => {
        sh(`ip link add name ${OTHER} type bridge mcast_snooping 1`);
        await assert.rejects(p().create({ ...inputs, name: OTHER }), /exists and dvrlab did not create it/);
        assert.equal(link(OTHER).ifalias, undefined);
        assert.equal(link(OTHER).linkinfo.info_data.mcast_snooping, 1);
        sh(`ip link set dev ${OTHER} alias dvrlab:someone/else`);
        await assert.rejects(p().create({ ...inputs, name: OTHER }), /belongs to dvrlab:someone\/else/);
        sh(`ip link del dev ${OTHER}`);
    });

    it("create fails clearly when the name is taken by a non-bridge", async () => {
        sh(`ip link add ${OTHER} type veth peer name ${OTHER}p`);
        await assert.rejects(p().create({ ...inputs, name: OTHER }), /not a bridge/);
        assert.equal(link(OTHER).linkinfo.info_kind, "veth");
        sh(`ip link del dev ${OTHER}`);
    });

    it("delete refuses a bridge that is not ours", async () => {
        sh(`ip link add name ${OTHER} type bridge`);
        await assert.rejects(p().delete(`127.0.0.1/${OTHER}`, { ...inputs.outs, name: OTHER }), /not deleting/);
        assert.ok(link(OTHER));
        sh(`ip link del dev ${OTHER}`);
    });

    it("delete removes it; delete again succeeds; read then reports it gone", async () => {
        sh(`ip link set dev ${NAME} alias dvrlab:itest/dev`);
        await p().delete(`127.0.0.1/${NAME}`, inputs.outs);
        assert.equal(link(NAME), undefined);
        await p().delete(`127.0.0.1/${NAME}`, inputs.outs);
        assert.deepEqual(await p().read(`127.0.0.1/${NAME}`, inputs.outs), {});
    });

    it("a failed create leaves nothing behind", async () => {
        // The kernel refuses an alias over 255 bytes: the plan's second step fails after the add.
        await assert.rejects(p().create({ ...inputs, name: OTHER, owner: "dvrlab:" + "x".repeat(300) + "/s" }));
        assert.equal(link(OTHER), undefined);
    });
});
