// Cross-host east-west routing as Neutron's DVR does it, on two lab hosts with private dvrlt
// bridges (br-int, br-tun, patch pair, VXLAN on a UDP port of our own): a router on each host with
// the same gateway IPs and MACs, the DVR flow intents, a VM per subnet on different hosts. The
// packet is routed on the source host: on the underlay it carries the destination network's VNI
// and the source host's DVR MAC; ARP for a gateway never enters a tunnel.
import { strict as assert } from "assert";
import type { FlowSpec } from "../../../provider/flowEntry/resource";
import { brInt, brTun, dvrMac, DVR_BASE_MAC } from "../../../provider/flows";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostCheck, hostSh, hostShInput, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";
import { addVm, ping, tcpAcross } from "./netns";

const id = process.pid % 10000;
const X = LAB["server-64"];
const Y = LAB["server-68"];
const OWNER = "dvrlab:itest/dev";
const DST_PORT = 30000 + id; // never the main stack's 4789
const NET = {
    10: { vlan: 1, vni: 1010, gwIp: "192.168.10.1", gwMac: "fa:16:3e:00:10:01", qr: `dvrlt-xa${id}` },
    20: { vlan: 2, vni: 1020, gwIp: "192.168.20.1", gwMac: "fa:16:3e:00:20:01", qr: `dvrlt-xb${id}` },
};
const A = { ns: `dvrlt-xva${id}`, port: `dvrlt-xpa${id}`, tag: 1, mac: "fa:16:3e:10:00:0b", ip: "192.168.10.11", gw: "192.168.10.1" };
const B = { ns: `dvrlt-xvb${id}`, port: `dvrlt-xpb${id}`, tag: 2, mac: "fa:16:3e:20:00:0c", ip: "192.168.20.12", gw: "192.168.20.1" };
const HOSTS = [
    { ip: X, other: Y, index: 0, vm: A, remote: B, remoteNet: NET[20] },
    { ip: Y, other: X, index: 1, vm: B, remote: A, remoteNet: NET[10] },
];
const BI = `dvrlt-xi${id}`;
const BT = `dvrlt-xt${id}`;
const PI = `dvrlt-xp${id}`; // patch-tun on br-int, OpenFlow port 1
const PT = `dvrlt-xq${id}`; // patch-int on br-tun, OpenFlow port 1
const VX = `dvrlt-xv${id}`; // VXLAN to the other host, OpenFlow port 2
const RNS = `dvrlt-xr${id}`;

const text = (f: FlowSpec) => `table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ""},actions=${f.actions}`;

describe("L3: DVR east-west across two lab hosts (VXLAN, DVR flows, routed on the source host)", function () {
    this.timeout(90_000);

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
    });

    after(async function () {
        if (!labIsUp) return;
        for (const h of HOSTS)
            hostSh(
                h.ip,
                'for n in "$1" "$2"; do ip netns delete "$n" 2>/dev/null; done; ovs-vsctl --if-exists del-br "$3" -- --if-exists del-br "$4"; true',
                RNS,
                h.vm.ns,
                BI,
                BT,
            );
        closeExecutor();
    });

    it("builds both hosts: bridges, router with both subnets, a VM, the DVR flows — OVS accepts every flow", async () => {
        for (const h of HOSTS) {
            const here = dvrMac(DVR_BASE_MAC, h.index);
            const there = dvrMac(DVR_BASE_MAC, 1 - h.index);
            hostCheck(
                h.ip,
                [
                    "bi=$1 bt=$2 pi=$3 pt=$4 vx=$5 remote=$6 port=$7",
                    'ovs-vsctl --timeout=10 add-br "$bi" -- set Bridge "$bi" datapath_type=netdev fail_mode=secure -- add-br "$bt" -- set Bridge "$bt" datapath_type=netdev fail_mode=secure',
                    'ovs-vsctl --timeout=10 add-port "$bi" "$pi" -- set Interface "$pi" type=patch options:peer="$pt" ofport_request=1 -- add-port "$bt" "$pt" -- set Interface "$pt" type=patch options:peer="$pi" ofport_request=1 -- add-port "$bt" "$vx" -- set Interface "$vx" type=vxlan options:remote_ip="$remote" options:key=flow options:dst_port="$port" ofport_request=2',
                ].join(" && "),
                BI,
                BT,
                PI,
                PT,
                VX,
                h.other,
                String(DST_PORT),
            );
            addVm(h.ip, BI, h.vm);
            const vmOfport = Number(hostCheck(h.ip, 'ovs-vsctl get Interface "$1" ofport', h.vm.port).trim());
            const conn = { host: h.ip };
            await provider("RouterNamespace", 1).create({ connection: conn, owner: OWNER, name: RNS });
            for (const [sub, n] of Object.entries(NET)) {
                await provider("RouterPort", 1).create({
                    connection: conn,
                    owner: OWNER,
                    bridge: BI,
                    name: n.qr,
                    namespace: RNS,
                    tag: n.vlan,
                    mac: n.gwMac,
                    address: `${n.gwIp}/24`,
                });
                const vm = sub === "10" ? A : B;
                await provider("StaticNeighbors", 1).create({
                    connection: conn,
                    owner: OWNER,
                    namespace: RNS,
                    device: n.qr,
                    entries: [{ ip: vm.ip, mac: vm.mac }],
                });
            }
            const tun: FlowSpec[] = [
                brTun.patchFromInt({ patchPort: 1 }),
                brTun.fromTun({ tunPort: 2 }),
                ...Object.values(NET).flatMap((n) => Object.values(brTun.dvrProcess({ vlan: n.vlan, gatewayIp: n.gwIp, gatewayMac: n.gwMac, dvrMac: here }))),
                brTun.dvrProcessDefault(),
                brTun.unicastClassify(),
                brTun.floodClassify(),
                brTun.unicastToTun({ vlan: h.remoteNet.vlan, vni: h.remoteNet.vni, port: 2, mac: h.remote.mac }),
                ...Object.values(NET).map((n) => brTun.floodToTun({ vlan: n.vlan, vni: n.vni, ports: [2] })),
                ...Object.values(NET).map((n) => brTun.tunToLv({ vni: n.vni, vlan: n.vlan })),
                brTun.dvrNotLearn({ dvrMac: there, patchPort: 1 }),
                brTun.dvrNotLearnDefault(),
                brTun.learnFromTun({ patchPort: 1 }),
            ];
            const int: FlowSpec[] = [
                brInt.normal(),
                brInt.dvrFromTun({ patchPort: 1, dvrMac: there }),
                brInt.dvrToSrcMac({ vlan: h.vm.tag, dstMac: h.vm.mac, gatewayMac: h.vm.tag === 1 ? NET[10].gwMac : NET[20].gwMac, ofport: vmOfport }),
                brInt.dvrToSrcMacDefault(),
            ];
            for (const [br, flows] of [
                [BT, tun],
                [BI, int],
            ] as const) {
                const r = hostShInput(
                    h.ip,
                    flows.map(text).join("\n") + "\n",
                    'ovs-ofctl add-flows "$1" - && ovs-ofctl dump-flows --no-stats "$1" | wc -l',
                    br,
                );
                assert.equal(r.code, 0, r.stderr);
                assert.equal(Number(r.stdout.trim()), flows.length, `${br} on ${h.ip}: every flow installed`);
            }
        }
    });

    it("routes 192.168.10.11 (server-64) ↔ 192.168.20.12 (server-68): ping and 1 MiB TCP both ways", () => {
        assert.ok(ping(X, A.ns, B.ip), "A → B");
        assert.ok(ping(Y, B.ns, A.ip), "B → A");
        assert.equal(tcpAcross(Y, B.ns, B.ip, X, A.ns, 5003), 1048576, "1 MiB A → B");
        assert.equal(tcpAcross(X, A.ns, A.ip, Y, B.ns, 5004), 1048576, "1 MiB B → A");
    });

    it("on the underlay: B's VNI and server-64's DVR MAC as inner source; the gateway MAC never leaves a host", () => {
        const cap = hostSh(
            X,
            'timeout 8 tcpdump -i eth0 -nn -e -l -c 4 -T vxlan "udp dst port $1" 2>/dev/null & t=$!; sleep 0.5; ip netns exec "$2" ping -c 2 -W 1 "$3" >/dev/null; wait $t',
            String(DST_PORT),
            A.ns,
            B.ip,
        ).stdout;
        // one record per packet: the outer line (timestamp … vni N), then the inner frame
        const out = cap.split(/\n(?=\d\d:\d\d:\d\d\.)/).filter((l) => l.includes("vni"));
        assert.ok(out.length >= 1, cap);
        const toB = out.find((l) => l.includes(`> ${B.mac}`));
        assert.ok(toB, `a frame to B: ${cap}`);
        assert.match(toB!, /vni 1020/);
        assert.match(toB!, new RegExp(`\n${dvrMac(DVR_BASE_MAC, 0)} > ${B.mac}, .*${A.ip} > ${B.ip}: ICMP echo request`));
        assert.doesNotMatch(cap, /fa:16:3e:00:[12]0:01/, "no gateway MAC on the wire");
        // on server-68, B got it from its own gateway MAC (DVR_TO_SRC_MAC rewrote the source back)
        assert.match(hostCheck(Y, 'ovs-ofctl dump-flows "$1" table=1', BI), new RegExp(`n_packets=[1-9]\\d*.*dl_dst=${B.mac}`));
    });

    it("ARP for a gateway is dropped in DVR_PROCESS, never tunnelled; each router answers only its own host", () => {
        hostCheck(X, 'ip -n "$1" neigh flush dev "$2"; ip netns exec "$1" ping -c 1 -W 1 "$3" >/dev/null', A.ns, A.port, B.ip);
        const dump = hostCheck(X, 'ovs-ofctl dump-flows "$1" "table=1,arp"', BT);
        const m = dump.match(/n_packets=(\d+).*arp_tpa=192\.168\.10\.1/);
        assert.ok(m && Number(m[1]) > 0, dump);
        // table 9: B's replies came in under server-68's DVR MAC and were not learnt
        const t9 = hostCheck(X, 'ovs-ofctl dump-flows "$1" table=9', BT);
        assert.match(t9, new RegExp(`n_packets=[1-9]\\d*.*dl_src=${dvrMac(DVR_BASE_MAC, 1)}`));
        assert.doesNotMatch(hostCheck(X, 'ovs-ofctl dump-flows "$1" table=20', BT), new RegExp(dvrMac(DVR_BASE_MAC, 1)));
    });
    it("a gateway MAC leaking from another host (its rewrite flow missing, as mid-VLAN-change) is dropped on arrival by the table 9 guard, never learnt on patch-tun", () => {
        // Without the guard br-int learns the gateway MAC on patch-tun, and a VM with its gateway's MAC cached sends its routed
        // traffic there, into DVR_PROCESS's drop, until the entry ages out (seen in the e2e VLAN change: 100 % loss)
        const gw = NET[20].gwMac;
        const rewrite = brTun.dvrProcessSrcRewrite({ vlan: NET[20].vlan, gatewayMac: gw, dvrMac: dvrMac(DVR_BASE_MAC, 0) });
        const setRewrite = (on: boolean) =>
            hostCheck(
                X,
                on ? 'ovs-ofctl add-flow "$1" "$2"' : 'ovs-ofctl --strict del-flows "$1" "$2"',
                BT,
                on ? text(rewrite) : `table=1,priority=1,${rewrite.match}`,
            );
        hostCheck(Y, 'ovs-ofctl add-flow "$1" "$2"', BT, text(brTun.dvrGatewayMacFromTunDrop({ gatewayMac: gw })));
        hostCheck(Y, 'ip -n "$1" neigh replace "$2" lladdr "$3" dev "$4" nud permanent', B.ns, B.gw, gw, B.port);
        const fdb = () => hostCheck(Y, 'ovs-appctl fdb/show "$1"', BI);
        setRewrite(false);
        try {
            hostCheck(Y, 'ovs-appctl fdb/flush "$1" >/dev/null', BI);
            // routed pings A → B cross with the gateway MAC as source; a pause for the revalidators to apply any learning
            assert.equal(
                hostSh(X, 'ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null; r=$?; sleep 1; exit $r', A.ns, B.ip).code,
                1,
                "the leaked requests do not reach B",
            );
            assert.doesNotMatch(fdb(), new RegExp(`^\\s*1\\s+${NET[20].vlan}\\s+${gw}\\s`, "m"), "the gateway MAC is not learnt on patch-tun");
            assert.match(hostCheck(Y, 'ovs-ofctl dump-flows "$1" table=9', BT), new RegExp(`n_packets=[3-9]\\d*.*priority=2,dl_src=${gw} actions=drop`));
        } finally {
            setRewrite(true);
        }
        assert.ok(ping(X, A.ns, B.ip), "A → B once the sender's rewrite is back");
        assert.ok(ping(Y, B.ns, A.ip), "B → A");
    });
});
