// DhcpServer's provider in-process against a lab host: namespace, OVS internal port with the local
// VLAN, dnsmasq with Neutron's options; drift (dnsmasq killed, tag changed) and repair; delete.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { dnsmasqArgs } from "../../../provider/dhcpServer/planner";
import { dhcpServerSchema } from "../../../provider/dhcpServer/schema";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-233"];
const id = process.pid % 10000;
const BR = `dvrlt-bs${id}`; // a private br-int: the lab's own bridges stay untouched
const NET = `dvrlt-s${id}`;
const NS = `qdhcp-${NET}`;
const PORT = `tap${NET}`.slice(0, 14);
const DIR = `/var/lib/dvrlab/dhcp/${NET}`;

const cmdline = (pid: number) => hostSh(HOST, 'tr "\\0" "\\n" <"/proc/$1/cmdline"', String(pid)).stdout.split("\n").filter(Boolean);
// a zombie (exited, not yet reaped by the machine's init) has an empty cmdline
const alive = (pid: number) => hostSh(HOST, 'grep -q . "/proc/$1/cmdline" 2>/dev/null', String(pid)).code === 0;
const strip = (o: any) => {
    const { dvrlabVersion: _v, ...rest } = o;
    return rest;
};

describe("DhcpServer provider on a lab host (OVS netdev + dnsmasq in qdhcp-<network>)", function () {
    this.timeout(60_000);
    const p = () => provider("DhcpServer", 1);
    let inputs: any;
    let outs: any;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(HOST, 'ovs-vsctl --may-exist add-br "$1" -- set Bridge "$1" datapath_type=netdev', BR);
        inputs = { connection: { host: HOST }, owner: "dvrlab:itest/dev", network: NET, bridge: BR, tag: 1, address: "192.168.10.2/24" };
    });

    after(async function () {
        if (!labIsUp) return;
        // a failed test's leftovers: our dnsmasq by its pid file, the namespace, files, the bridge
        hostSh(
            HOST,
            'pid=$(cat "$2/pid" 2>/dev/null) && tr "\\0" "\\n" <"/proc/$pid/cmdline" | grep -qxF -- "--pid-file=$2/pid" && kill "$pid"; ' +
                'ip netns delete "$1" 2>/dev/null; rm -rf "$2"; ovs-vsctl --if-exists del-br "$3"; true',
            NS,
            DIR,
            BR,
        );
        closeExecutor();
    });

    it("creates the namespace, the tagged internal port inside it with the address, and dnsmasq", async () => {
        const r = await p().create(inputs);
        outs = r.outs;
        assert.equal(r.id, `${HOST}/dhcp/${NET}`);
        assert.ok(outs.pid > 0);
        assert.equal(outs.txChecksum, false, "netdev datapath: offload off");
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Port "$1" tag', PORT).trim(), "1");
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Interface "$1" type', PORT).trim(), "internal");
        assert.match(hostCheck(HOST, 'ip -n "$1" -o -4 addr show dev "$2"', NS, PORT), /inet 192\.168\.10\.2\/24/);
        assert.match(hostCheck(HOST, 'ip -n "$1" link show dev "$2"', NS, PORT), /mtu 1450 .*state (UP|UNKNOWN)/);
        assert.match(hostCheck(HOST, 'ip netns exec "$1" ethtool -k "$2"', NS, PORT), /tx-checksumming: off/);
        assert.deepEqual(cmdline(outs.pid), dnsmasqArgs(dhcpServerSchema.parse(inputs)));
        assert.equal(hostCheck(HOST, 'ip netns identify "$1"', String(outs.pid)).trim(), NS);
        assert.match(hostCheck(HOST, 'ip netns exec "$1" ss -lnup', NS), /192\.168\.10\.2:53 |0\.0\.0\.0:67 /);
        assert.match(hostCheck(HOST, 'cat "$1"', outs.logFile), /DHCP, static leases only on 192\.168\.10\.0, lease time 1d/);
    });

    it("read equals the inputs; no diff", async () => {
        const r = await p().read(outs.id, outs);
        assert.deepEqual(strip(r.props), strip(outs));
        assert.deepEqual(await p().diff("x", r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("drift: dnsmasq killed reads as running=false; update starts a new one", async () => {
        hostCheck(HOST, 'kill -9 "$1"', String(outs.pid));
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.running, false);
        assert.equal(r.props.pid, 0);
        assert.equal((await p().diff("x", r.props, inputs)).changes, true);
        const u = await p().update("x", r.props, inputs);
        assert.notEqual(u.outs.pid, outs.pid);
        assert.ok(alive(u.outs.pid));
        outs = u.outs;
    });

    it("drift: tag changed and address removed by hand read back; update repairs both (dnsmasq rebinds)", async () => {
        hostCheck(HOST, 'ovs-vsctl set Port "$1" tag=7 && ip -n "$2" addr flush dev "$1"', PORT, NS);
        const r = await p().read(outs.id, outs);
        assert.deepEqual([r.props.tag, r.props.address], [7, ""]);
        const u = await p().update("x", r.props, inputs);
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Port "$1" tag', PORT).trim(), "1");
        assert.match(hostCheck(HOST, 'ip -n "$1" -o -4 addr show dev "$2"', NS, PORT), /192\.168\.10\.2\/24/);
        assert.notEqual(u.outs.pid, outs.pid, "restarted to bind the address again");
        outs = u.outs;
    });

    it("drift: namespace deleted by hand (its device with it) reads as no address; update rebuilds port and namespace in place", async () => {
        const orphan = outs.pid; // lives on in the unnamed namespace
        hostCheck(HOST, 'echo "fa:16:3e:00:00:01,keep,192.168.10.9" >"$2/host"; ip netns delete "$1"', NS, DIR);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.address, "");
        assert.equal(r.props.running, false);
        assert.deepEqual((await p().diff("x", r.props, inputs)).replaces, [], "an update, not a replace");
        outs = (await p().update("x", r.props, inputs)).outs;
        assert.match(hostCheck(HOST, 'ip -n "$1" -o -4 addr show dev "$2"', NS, PORT), /192\.168\.10\.2\/24/);
        assert.ok(alive(outs.pid));
        assert.ok(!alive(orphan), "the dnsmasq left in the deleted namespace is stopped, not leaked");
        assert.equal(hostCheck(HOST, 'cat "$1/host"', DIR), "fa:16:3e:00:00:01,keep,192.168.10.9\n", "the hosts file survives");
        hostCheck(HOST, ': >"$1/host"', DIR);
    });

    it("update: MTU and lease time restart dnsmasq with the new options; the tag changes live", async () => {
        const next = { ...inputs, mtu: 1400, leaseTime: 3600, tag: 2 };
        const u = await p().update("x", outs, next);
        assert.ok(cmdline(u.outs.pid).includes("--dhcp-option-force=option:mtu,1400"));
        assert.ok(cmdline(u.outs.pid).includes(`--dhcp-range=set:${NET},192.168.10.0,static,255.255.255.0,3600s`));
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Port "$1" tag', PORT).trim(), "2");
        const back = await p().update("x", u.outs, inputs);
        outs = back.outs;
        assert.ok(cmdline(outs.pid).includes("--dhcp-option-force=option:mtu,1450"));
    });

    it("running=false stops dnsmasq and keeps the rest", async () => {
        const u = await p().update("x", outs, { ...inputs, running: false });
        assert.equal(u.outs.pid, 0);
        assert.ok(!alive(outs.pid));
        assert.equal(hostSh(HOST, 'test -e "/run/netns/$1"', NS).code, 0);
        outs = (await p().update("x", u.outs, inputs)).outs;
        assert.ok(alive(outs.pid));
    });

    it("refuses to take over a port of another owner", async () => {
        await assert.rejects(p().create({ ...inputs, owner: "dvrlab:other/stack" }), /belongs to dvrlab:itest\/dev/);
    });

    it("delete: dnsmasq, port, namespace and files gone; again is fine", async () => {
        const pid = outs.pid;
        await p().delete("x", outs);
        assert.ok(!alive(pid), "dnsmasq gone");
        assert.equal(hostSh(HOST, 'ovs-vsctl port-to-br "$1"', PORT).code !== 0, true, "port gone");
        assert.equal(hostSh(HOST, 'test -e "/run/netns/$1"', NS).code, 1, "namespace gone");
        assert.equal(hostSh(HOST, 'test -e "$1"', DIR).code, 1, "files gone");
        await p().delete("x", outs);
        assert.deepEqual(await p().read("x", outs), {});
        // no dnsmasq of this network anywhere on the machine (e.g. one orphaned in a deleted namespace)
        const left = hostSh(
            HOST,
            'for p in /proc/[0-9]*; do tr "\\0" " " <"$p/cmdline" 2>/dev/null | grep -q -- "--pid-file=$1/pid" && echo "${p#/proc/}"; done; true',
            DIR,
        );
        assert.equal(left.stdout.trim(), "", "no dnsmasq left");
    });

    it("a qdhcp namespace dvrlab did not make (no owner file) is refused, naming host and namespace, and left alone", async () => {
        hostCheck(HOST, 'ip netns add "$1"', NS);
        await assert.rejects(p().create(inputs), {
            message:
                `DhcpServer ${NET} on root@${HOST}:22: namespace ${NS}: exists and dvrlab did not create it (no owner file ${DIR}/owner, the server's mark); ` +
                `dvrlab does not take it over: remove it (ip netns delete ${NS}) or use another network name`,
        });
        assert.equal(hostSh(HOST, 'test -e "$1"', DIR).code, 1, "no files written");
        assert.equal(hostSh(HOST, 'ovs-vsctl port-to-br "$1"', PORT).code !== 0, true, "no port added");
        hostCheck(HOST, 'ip netns delete "$1"', NS);
    });
});
