// The L3 building blocks on a lab host, providers in-process: RouterNamespace, RouterPort and
// StaticNeighbors (create, read, drift, update in place, delete, ownership), then a router with two
// subnets on two local VLANs routing between two "VMs" (namespaces with tagged OVS internal ports)
// on the same host: ping and a TCP transfer both ways, no ARP from the router.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";
import { addVm, ping, tcp } from "./netns";

const HOST = LAB["server-64"];
const id = process.pid % 10000;
const BR = `dvrlt-ri${id}`; // a private br-int
const NS = `dvrlt-qr${id}`; // stands for qrouter-<id> (test namespaces carry the dvrlt prefix)
const QR1 = `dvrlt-qa${id}`;
const QR2 = `dvrlt-qb${id}`;
const OWNER = "dvrlab:itest/dev";
const conn = { host: HOST };

const GW1 = { mac: "fa:16:3e:00:10:01", address: "192.168.10.1/24" };
const GW2 = { mac: "fa:16:3e:00:20:01", address: "192.168.20.1/24" };
const VM1 = { ns: `dvrlt-va${id}`, port: `dvrlt-pa${id}`, tag: 1, mac: "fa:16:3e:10:00:0b", ip: "192.168.10.11", gw: "192.168.10.1" };
const VM2 = { ns: `dvrlt-vb${id}`, port: `dvrlt-pb${id}`, tag: 2, mac: "fa:16:3e:20:00:0c", ip: "192.168.20.12", gw: "192.168.20.1" };

const strip = (o: any) => {
    const { dvrlabVersion: _v, ...rest } = o;
    return rest;
};
const noChange = { changes: false, replaces: [], deleteBeforeReplace: false };

describe("L3: RouterNamespace, RouterPort, StaticNeighbors on a lab host; same-host routing", function () {
    this.timeout(60_000);
    const ns = () => provider("RouterNamespace", 1);
    const port = () => provider("RouterPort", 1);
    const neigh = () => provider("StaticNeighbors", 1);
    const nsIn = { connection: conn, owner: OWNER, name: NS };
    const qr1In = { connection: conn, owner: OWNER, bridge: BR, name: QR1, namespace: NS, tag: 1, ...GW1 };
    const qr2In = { connection: conn, owner: OWNER, bridge: BR, name: QR2, namespace: NS, tag: 2, ...GW2 };
    let nsOut: any;
    let qr1: any;
    let qr2: any;
    let n1: any;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(
            HOST,
            'ovs-vsctl --may-exist add-br "$1" -- set Bridge "$1" datapath_type=netdev fail_mode=secure && ovs-ofctl add-flow "$1" priority=1,actions=NORMAL',
            BR,
        );
    });

    after(async function () {
        if (!labIsUp) return;
        hostSh(HOST, 'for n in "$1" "$2" "$3"; do ip netns delete "$n" 2>/dev/null; done; ovs-vsctl --if-exists del-br "$4"; true', NS, VM1.ns, VM2.ns, BR);
        closeExecutor();
    });

    it("RouterNamespace: creates the namespace with Neutron's sysctls, marked ours on lo", async () => {
        const r = await ns().create(nsIn);
        nsOut = r.outs;
        assert.equal(r.id, `${HOST}/netns/${NS}`);
        assert.equal(
            hostCheck(HOST, 'ip netns exec "$1" sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce', NS),
            "1\n1\n2\n",
        );
        assert.match(hostCheck(HOST, 'ip -n "$1" -d link show dev lo', NS), /alias dvrlab:itest\/dev/);
        const back = await ns().read(r.id, nsOut);
        assert.deepEqual(strip(back.props), strip(nsOut));
        assert.deepEqual(await ns().diff(r.id, back.props, nsIn), noChange);
    });

    it("RouterNamespace: forwarding turned off by hand is drift; update repairs it in place", async () => {
        hostCheck(HOST, 'ip netns exec "$1" sysctl -q -w net.ipv4.ip_forward=0', NS);
        const back = await ns().read(nsOut.id, nsOut);
        assert.equal(back.props.ipForward, false);
        assert.deepEqual(await ns().diff("x", back.props, nsIn), { changes: true, replaces: [], deleteBeforeReplace: false });
        const inode = hostCheck(HOST, 'stat -c %i "/run/netns/$1"', NS);
        await ns().update("x", back.props, nsIn);
        assert.equal(hostCheck(HOST, 'ip netns exec "$1" sysctl -n net.ipv4.ip_forward', NS).trim(), "1");
        assert.equal(hostCheck(HOST, 'stat -c %i "/run/netns/$1"', NS), inode, "same namespace");
    });

    it("RouterNamespace: create refuses another owner's, adopts our own", async () => {
        await assert.rejects(ns().create({ ...nsIn, owner: "dvrlab:other/dev" }), /exists and belongs to dvrlab:itest\/dev/);
        assert.equal((await ns().create(nsIn)).id, `${HOST}/netns/${NS}`);
    });

    it("RouterPort: a tagged internal port inside the namespace with the gateway MAC and address, offload off on netdev", async () => {
        qr1 = (await port().create(qr1In)).outs;
        qr2 = (await port().create(qr2In)).outs;
        assert.ok(qr1.ofport > 0 && qr2.ofport > 0);
        assert.equal(qr1.txChecksum, false);
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Port "$1" tag', QR1).trim(), "1");
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Interface "$1" type', QR1).trim(), "internal");
        const l = JSON.parse(hostCheck(HOST, 'ip -n "$1" -j addr show dev "$2"', NS, QR1))[0];
        assert.equal(l.address, GW1.mac);
        assert.equal(l.mtu, 1450);
        assert.ok(l.flags.includes("UP"));
        assert.deepEqual(
            l.addr_info.filter((a: any) => a.family === "inet").map((a: any) => `${a.local}/${a.prefixlen}`),
            [GW1.address],
        );
        assert.match(hostCheck(HOST, 'ip netns exec "$1" ethtool -k "$2"', NS, QR1), /tx-checksumming: off/);
        assert.equal(hostSh(HOST, 'ip link show dev "$1"', QR1).code, 1, "not left in the host's namespace");
        const back = await port().read(qr1.id, qr1);
        assert.deepEqual(strip(back.props), strip(qr1));
        assert.deepEqual(await port().diff("x", back.props, qr1In), noChange);
    });

    it("RouterPort: tag, MAC and address changed by hand are drift; update repairs them in place", async () => {
        hostCheck(
            HOST,
            'ovs-vsctl set Port "$1" tag=7 && ip -n "$2" link set dev "$1" address fa:16:3e:99:99:99 && ip -n "$2" addr flush dev "$1" && ip -n "$2" addr add 192.168.10.99/24 dev "$1"',
            QR1,
            NS,
        );
        const back = await port().read(qr1.id, qr1);
        assert.deepEqual([back.props.tag, back.props.mac, back.props.address, back.props.namespace], [7, "fa:16:3e:99:99:99", "192.168.10.99/24", NS]);
        const d = await port().diff("x", back.props, qr1In);
        assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
        const ifindex = hostCheck(HOST, 'ip -n "$1" -j link show dev "$2"', NS, QR1);
        await port().update("x", back.props, qr1In);
        assert.equal(JSON.parse(hostCheck(HOST, 'ip -n "$1" -j link show dev "$2"', NS, QR1))[0].ifindex, JSON.parse(ifindex)[0].ifindex, "same device");
        const again = await port().read(qr1.id, qr1);
        assert.deepEqual(await port().diff("x", again.props, qr1In), noChange);
        assert.deepEqual((await port().diff("x", again.props, { ...qr1In, namespace: "dvrlt-other" })).replaces, ["namespace"]);
    });

    it("RouterPort: a port moved back to the host reads as outside the namespace (replace)", async () => {
        hostCheck(HOST, 'ip -n "$1" link set dev "$2" netns 1', NS, QR2);
        const back = await port().read(qr2.id, qr2);
        assert.equal(back.props.namespace, "");
        assert.deepEqual((await port().diff("x", back.props, qr2In)).replaces, ["namespace"]);
        await port().delete("x", back.props);
        qr2 = (await port().create(qr2In)).outs;
        assert.equal(JSON.parse(hostCheck(HOST, 'ip -n "$1" -j link show dev "$2"', NS, QR2))[0].address, GW2.mac);
    });

    it("StaticNeighbors: permanent entries; update adds and removes exactly the changed ones; others' kept", async () => {
        const base = { connection: conn, owner: OWNER, namespace: NS, device: QR1 };
        hostCheck(HOST, 'ip -n "$1" neigh replace 192.168.10.50 lladdr fa:16:3e:00:00:50 dev "$2" nud permanent', NS, QR1); // someone else's
        const r = await neigh().create({
            ...base,
            entries: [
                { ip: "192.168.10.12", mac: "FA:16:3E:00:00:12" },
                { ip: VM1.ip, mac: VM1.mac },
            ],
        });
        n1 = r.outs;
        assert.deepEqual(n1.entries, [
            { ip: VM1.ip, mac: VM1.mac },
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" },
        ]);
        const show = () => hostCheck(HOST, 'ip -n "$1" -4 neigh show dev "$2" nud permanent | sed "s/ *$//" | sort', NS, QR1);
        assert.equal(
            show(),
            `192.168.10.11 lladdr ${VM1.mac} PERMANENT\n192.168.10.12 lladdr fa:16:3e:00:00:12 PERMANENT\n192.168.10.50 lladdr fa:16:3e:00:00:50 PERMANENT\n`,
        );
        const back = await neigh().read(r.id, n1);
        assert.deepEqual(strip(back.props), strip(n1));
        assert.deepEqual(await neigh().diff("x", back.props, { ...base, entries: [...n1.entries].reverse() }), noChange, "a set: order does not matter");
        // drift: one of ours deleted by hand
        hostCheck(HOST, 'ip -n "$1" neigh del 192.168.10.12 dev "$2"', NS, QR1);
        const drift = await neigh().read(r.id, n1);
        assert.deepEqual(drift.props.entries, [{ ip: VM1.ip, mac: VM1.mac }]);
        // update: .12 back with another MAC, .13 new; .11 removed
        const next = {
            ...base,
            entries: [
                { ip: "192.168.10.12", mac: "fa:16:3e:00:00:99" },
                { ip: "192.168.10.13", mac: "fa:16:3e:00:00:13" },
            ],
        };
        n1 = { ...n1, ...(await neigh().update("x", drift.props, next)).outs };
        assert.equal(
            show(),
            "192.168.10.12 lladdr fa:16:3e:00:00:99 PERMANENT\n192.168.10.13 lladdr fa:16:3e:00:00:13 PERMANENT\n192.168.10.50 lladdr fa:16:3e:00:00:50 PERMANENT\n",
        );
        // a conflicting permanent entry of someone else is refused, by address
        await assert.rejects(
            neigh().update("x", n1, { ...base, entries: [...next.entries, { ip: "192.168.10.50", mac: "fa:16:3e:00:00:51" }] }),
            /192\.168\.10\.50 is permanent at fa:16:3e:00:00:50/,
        );
        await neigh().delete("x", n1);
        assert.equal(show(), "192.168.10.50 lladdr fa:16:3e:00:00:50 PERMANENT\n", "only ours removed");
        await neigh().delete("x", n1);
        hostCheck(HOST, 'ip -n "$1" neigh del 192.168.10.50 dev "$2"', NS, QR1);
    });

    it("routes between the two subnets on the same host: ping and TCP both ways, the router never ARPs", async () => {
        addVm(HOST, BR, VM1);
        addVm(HOST, BR, VM2);
        await neigh().create({ connection: conn, owner: OWNER, namespace: NS, device: QR1, entries: [{ ip: VM1.ip, mac: VM1.mac }] });
        await neigh().create({ connection: conn, owner: OWNER, namespace: NS, device: QR2, entries: [{ ip: VM2.ip, mac: VM2.mac }] });
        assert.ok(ping(HOST, VM1.ns, VM2.ip), "192.168.10.11 → 192.168.20.12");
        assert.ok(ping(HOST, VM2.ns, VM1.ip), "192.168.20.12 → 192.168.10.11");
        assert.equal(
            hostCheck(HOST, 'ip -n "$1" -4 neigh show dev "$2" | grep "$3"', VM1.ns, VM1.port, VM1.gw).split(" ")[2],
            GW1.mac,
            "VM1 sees its gateway's MAC",
        );
        assert.equal(tcp(HOST, VM1.ns, VM2.ns, VM2.ip, 5001), 1048576, "1 MiB 10 → 20");
        assert.equal(tcp(HOST, VM2.ns, VM1.ns, VM1.ip, 5002), 1048576, "1 MiB 20 → 10");
        // every neighbor the router has is one we set: it never resolved anything itself
        assert.equal(hostCheck(HOST, 'ip -n "$1" -4 neigh show | grep -v PERMANENT || true', NS).trim(), "");
        // the hops the packet took: TTL 64 from the VM, 63 after the router
        assert.match(hostCheck(HOST, 'ip netns exec "$1" ping -c 1 -W 1 "$2"', VM1.ns, VM2.ip), /ttl=63/);
    });

    it("RouterNamespace delete refuses a device not ours; unplugs our ports (Neutron's delete) and goes", async () => {
        hostCheck(HOST, 'ip -n "$1" link add dvrlt-x type veth peer name dvrlt-y', NS);
        await assert.rejects(ns().delete("x", nsOut), /still holds dvrlt-[xy], dvrlt-[xy], not ours/);
        assert.equal(hostSh(HOST, 'test -e "/run/netns/$1"', NS).code, 0, "nothing removed");
        hostCheck(HOST, 'ip -n "$1" link del dvrlt-x', NS);
        await ns().delete("x", nsOut);
        assert.equal(hostSh(HOST, 'test -e "/run/netns/$1"', NS).code, 1);
        assert.equal(
            hostCheck(HOST, 'ovs-vsctl list-ports "$1"', BR)
                .split("\n")
                .filter((p) => p === QR1 || p === QR2).length,
            0,
            "qr ports unplugged from OVS",
        );
        // the ports and neighbors are gone with it: their resources read as gone, delete succeeds
        assert.deepEqual(await port().read(qr1.id, qr1), {});
        await port().delete("x", qr1);
        assert.deepEqual(await neigh().read("x", { ...n1, device: QR1, namespace: NS }), {});
        await ns().delete("x", nsOut);
    });

    it("RouterNamespace delete of one not ours is refused", async () => {
        hostCheck(HOST, 'ip netns add "$1"', NS);
        await assert.rejects(ns().delete("x", nsOut), /not deleting, it is owned by nobody \(unmanaged\)/);
        hostCheck(HOST, 'ip netns delete "$1"', NS);
    });

    it("RouterNamespace create refuses a namespace it did not make, even an empty one, naming host and namespace; nothing changes", async () => {
        hostCheck(HOST, 'ip netns add "$1"', NS);
        await assert.rejects(ns().create(nsIn), {
            message: `RouterNamespace ${NS} on root@${HOST}:22: exists and dvrlab did not create it (no owner alias on its lo); dvrlab does not take it over: remove it (ip netns delete ${NS}) or use another router id`,
        });
        assert.doesNotMatch(hostCheck(HOST, 'ip -n "$1" -d link show dev lo', NS), /alias/);
        assert.equal(hostCheck(HOST, 'ip netns exec "$1" sysctl -n net.ipv4.ip_forward', NS).trim(), "0", "sysctls untouched");
        hostCheck(HOST, 'ip netns delete "$1"', NS);
        await ns().delete("x", nsOut); // missing: success
    });

    it("RouterPort create refuses an internal port it did not make, naming host and port; nothing changes", async () => {
        const made = (await ns().create(nsIn)).outs;
        hostCheck(HOST, 'ovs-vsctl add-port "$1" "$2" tag=1 -- set Interface "$2" type=internal', BR, QR1);
        await assert.rejects(port().create(qr1In), {
            message:
                `RouterPort ${QR1} on root@${HOST}:22: exists and dvrlab did not create it (no external_ids:dvrlab-owner on its OVS port); dvrlab does not take it over: ` +
                `remove it (ovs-vsctl del-port ${QR1}) (it differs: not in ${NS}) or use another name`,
        });
        assert.equal(hostCheck(HOST, 'ovs-vsctl get Port "$1" external_ids', QR1).trim(), "{}");
        assert.equal(hostSh(HOST, 'ip link show dev "$1"', QR1).code, 0, "still in the host's namespace");
        hostCheck(HOST, 'ovs-vsctl del-port "$1"', QR1);
        await ns().delete("x", made);
    });
});
