import { strict as assert } from "assert";
import {
    allowsIcmpFrom,
    arpTrace,
    dhcpTrace,
    fdbRowsFor,
    packetsOf,
    pingTrace,
    routedTrace,
    ruleCounter,
    spoofAddress,
    StackOutputs,
} from "../../../provider/verify/plan";
import { planChecks } from "../../../provider/verify/checks";

const vm = (id: string, host: string, ip: string, icmp: boolean, ofport = 2) => ({
    id,
    host,
    network: "net1",
    ip,
    mac: `fa:16:3e:00:00:${ip.split(".")[3].padStart(2, "0").slice(-2)}`,
    vlan: 1,
    tap: `tap-${id}`,
    qvo: `qvo-${id}`,
    ofport,
    securityGroup: icmp ? "icmp" : "default",
    ingress: icmp ? [{ protocol: "icmp", remoteCidr: "0.0.0.0/0" }] : [],
    channelSocket: `/x/${id}.sock`,
});

const outputs: StackOutputs = {
    hosts: [
        { name: "a", host: "10.0.0.1", port: 22, user: "root", keyRef: "sshPrivateKey", tunnelIp: "10.0.0.1", role: "network" },
        { name: "b", host: "10.0.0.2", port: 22, user: "root", keyRef: "sshPrivateKey", tunnelIp: "10.0.0.2", role: "compute" },
    ],
    networks: [{ name: "net1", cidr: "192.168.10.0/24", prefix: 24, vni: 0x813, vlan: 1, dhcpIp: "192.168.10.2", gateway: "192.168.10.1" }],
    machines: [vm("x", "a", "192.168.10.11", true), vm("y", "b", "192.168.10.12", true), vm("z", "b", "192.168.10.13", false, 3)],
};

describe("verify plan", () => {
    it("plans the seed's checks: leases, pings local and across the tunnel, the blocked VM, ARP spoofing per VM", () => {
        const c = planChecks(outputs);
        assert.deepEqual(
            c.filter((x) => x.kind === "dhcp").map((x) => (x as any).vm),
            ["x", "y", "z"],
        );
        const pings = c.filter((x) => x.kind === "ping") as any[];
        const replies = pings
            .filter((p) => p.expect === "reply")
            .map((p) => `${p.from}>${p.to}:${p.scope}`)
            .sort();
        assert.deepEqual(replies, ["x>y:across the tunnel", "y>x:across the tunnel", "z>x:across the tunnel", "z>y:same host"]);
        const blocked = pings.filter((p) => p.expect === "blocked");
        assert.equal(blocked.length, 1);
        assert.equal(blocked[0].to, "z");
        assert.equal(blocked[0].from, "x", "a source on another host is preferred");
        assert.equal(c.filter((x) => x.kind === "arp-spoof").length, 3);
    });

    it("reads security groups by protocol and source CIDR", () => {
        const v = { ...vm("w", "a", "192.168.10.20", false), ingress: [{ protocol: "icmp", remoteCidr: "192.168.10.0/28" }] };
        assert.equal(allowsIcmpFrom(v, "192.168.10.5"), true);
        assert.equal(allowsIcmpFrom(v, "192.168.10.17"), false);
        assert.equal(allowsIcmpFrom({ ...v, ingress: [{ protocol: "tcp", remoteCidr: "0.0.0.0/0" }] }, "192.168.10.5"), false);
    });

    it("spoofs an address nobody holds", () => {
        assert.equal(spoofAddress(outputs, outputs.machines[0]), "192.168.10.254");
        const full = { ...outputs, machines: [...outputs.machines, { ...vm("q", "a", "192.168.10.254", true) }] };
        assert.equal(spoofAddress(full, full.machines[0]), "192.168.10.253");
    });

    it("traces a cross-host ping on both hosts' bridges, tunnel port by Neutron's name", () => {
        const t = pingTrace(outputs, outputs.machines[0], outputs.machines[1], outputs.machines[1].mac);
        assert.deepEqual(
            t.map((s) => `${s.host}/${s.bridge}`),
            ["a/br-int", "a/br-tun", "b/br-tun", "b/br-int"],
        );
        assert.match(t[0].flow, /^in_port=2,icmp,dl_src=/);
        assert.match(t[2].flow, /^in_port=\{port:vxlan-0a000001\},tun_id=0x813,/);
        assert.equal(pingTrace(outputs, outputs.machines[1], outputs.machines[2], "m").length, 1, "same host: br-int only");
    });

    it("reads a flow's packet counter from dump-flows", () => {
        const dump = [
            " cookie=0x1, duration=1s, table=24, n_packets=8, n_bytes=336, idle_age=0, priority=2,arp,in_port=2,arp_spa=192.168.10.168 actions=resubmit(,25)",
            " cookie=0x2, duration=1s, table=24, n_packets=5, n_bytes=84, idle_age=1, priority=0 actions=drop",
        ].join("\n");
        assert.equal(packetsOf(dump, ["priority=0", "actions=drop"]), 5);
        assert.equal(packetsOf(dump, ["in_port=2,", "arp_spa=192.168.10.168 "]), 8);
        assert.equal(packetsOf(dump, ["in_port=3,"]), undefined);
    });
    it("with a router: one gateway-MAC check per router host; fdb/show rows are read by MAC, port and VLAN", () => {
        const routed: StackOutputs = {
            ...outputs,
            networks: [{ ...outputs.networks[0], gatewayMac: "fa:16:3e:54:88:14" }],
            router: { networks: ["net1"], dvrMacs: { b: "fa:16:3f:00:00:02", a: "fa:16:3f:00:00:01" } },
        };
        assert.deepEqual(
            planChecks(routed)
                .filter((c) => c.kind === "gateway-mac-local")
                .map((c) => (c as any).host),
            ["a", "b"],
        );
        assert.equal(planChecks(outputs).filter((c) => c.kind === "gateway-mac-local").length, 0, "no router, no check");
        // rows as OVS 3.1 prints them (ovs-appctl fdb/show), a gateway MAC learnt on patch-tun (port 1); MACs compare case-blind
        const fdb = [
            " port  VLAN  MAC                Age",
            "    3     1  fa:16:3e:00:10:01   95",
            "    1     7  FA:16:3E:54:88:14    1",
            "    2     2  fa:16:3e:20:00:0c    1",
            "LOCAL     0  36:9e:e6:44:d5:4b    5",
        ].join("\n");
        assert.deepEqual(fdbRowsFor(fdb, ["fa:16:3e:54:88:14", "fa:16:3e:00:10:01"]), [
            { port: "3", vlan: 1, mac: "fa:16:3e:00:10:01" },
            { port: "1", vlan: 7, mac: "fa:16:3e:54:88:14" },
        ]);
        assert.deepEqual(fdbRowsFor(fdb, ["fa:16:3e:ff:ff:ff"]), []);
    });

    it("builds each trace exactly (the flows test/integration/verify/traces.test.ts runs through OVS)", () => {
        const [x, y, z] = outputs.machines;
        assert.deepEqual(dhcpTrace(x), [
            {
                host: "a",
                bridge: "br-int",
                flow: "in_port=2,udp,dl_src=fa:16:3e:00:00:11,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67",
            },
        ]);
        assert.deepEqual(arpTrace(z, "192.168.10.254"), [
            {
                host: "b",
                bridge: "br-int",
                flow: "in_port=3,arp,arp_op=2,dl_src=fa:16:3e:00:00:13,dl_dst=ff:ff:ff:ff:ff:ff,arp_sha=fa:16:3e:00:00:13,arp_spa=192.168.10.254,arp_tpa=192.168.10.254",
            },
        ]);
        const icmp = "icmp,dl_src=fa:16:3e:00:00:11,dl_dst=fa:16:3e:00:00:12,nw_src=192.168.10.11,nw_dst=192.168.10.12,icmp_type=8";
        assert.deepEqual(pingTrace(outputs, x, y, y.mac), [
            { host: "a", bridge: "br-int", flow: `in_port=2,${icmp}` },
            { host: "a", bridge: "br-tun", flow: `in_port={port:patch-int},dl_vlan=1,${icmp}` },
            { host: "b", bridge: "br-tun", flow: `in_port={port:vxlan-0a000001},tun_id=0x813,${icmp}` },
            { host: "b", bridge: "br-int", flow: `in_port={port:patch-tun},dl_vlan=1,${icmp}` },
        ]);
        const routed: StackOutputs = {
            ...outputs,
            networks: [
                { ...outputs.networks[0], gatewayMac: "fa:16:3e:54:88:14" },
                {
                    name: "net2",
                    cidr: "192.168.20.0/24",
                    prefix: 24,
                    vni: 0x814,
                    vlan: 2,
                    dhcpIp: "192.168.20.2",
                    gateway: "192.168.20.1",
                    gatewayMac: "fa:16:3e:d7:eb:e3",
                },
            ],
            machines: [...outputs.machines, { ...vm("w", "b", "192.168.20.14", true, 7), network: "net2", vlan: 2, mac: "fa:16:3e:00:00:14" }],
            router: { networks: ["net1", "net2"], dvrMacs: { a: "fa:16:3f:00:00:01", b: "fa:16:3f:00:00:02" } },
        };
        const w = routed.machines[3];
        const ip = "icmp,nw_src=192.168.10.11,nw_dst=192.168.20.14,icmp_type=8";
        assert.deepEqual(routedTrace(routed, x, w), [
            { host: "a", bridge: "br-int", flow: `in_port=2,dl_src=fa:16:3e:00:00:11,dl_dst=fa:16:3e:54:88:14,${ip}` },
            { host: "a", bridge: "br-int", flow: `in_port={port:qr-net2},dl_src=fa:16:3e:d7:eb:e3,dl_dst=fa:16:3e:00:00:14,${ip}` },
            { host: "b", bridge: "br-tun", flow: `in_port={port:vxlan-0a000001},tun_id=0x814,dl_src=fa:16:3f:00:00:01,dl_dst=fa:16:3e:00:00:14,${ip}` },
            { host: "b", bridge: "br-int", flow: `in_port={port:patch-tun},dl_vlan=2,dl_src=fa:16:3f:00:00:01,dl_dst=fa:16:3e:00:00:14,${ip}` },
        ]);
        assert.equal(routedTrace(routed, y, w).length, 2, "same host: routed on br-int only");
        // and the routed checks verify plans for it (by destination, then source): routed pings both ways (z has no ICMP rule), the first cross-host and same-host ones get the L3 checks
        const c = planChecks(routed);
        assert.deepEqual(
            c.filter((k) => k.kind === "ping" && k.scope.startsWith("routed")).map((k: any) => `${k.from}>${k.to}:${k.scope}`),
            ["w>x:routed, across the tunnel", "w>y:routed, same host", "x>w:routed, across the tunnel", "y>w:routed, same host", "z>w:routed, same host"],
        );
        assert.deepEqual(
            c.filter((k) => ["routed-on-source", "no-gateway-arp", "same-host-local"].includes(k.kind)).map((k: any) => `${k.kind}:${k.from}>${k.to}`),
            ["routed-on-source:w>x", "no-gateway-arp:w>x", "same-host-local:w>y"],
        );
        assert.deepEqual(
            c.filter((k) => k.kind === "arp-spoof").map((k: any) => `${k.vm}:${k.spoofedIp}`),
            ["x:192.168.10.254", "y:192.168.10.254", "z:192.168.10.254", "w:192.168.20.254"],
        );
    });

    it("names every check as verify prints it", () => {
        assert.deepEqual(
            planChecks(outputs).map((c) => c.name),
            [
                "x holds 192.168.10.11 from DHCP",
                "y holds 192.168.10.12 from DHCP",
                "z holds 192.168.10.13 from DHCP",
                "ping y → x (across the tunnel)",
                "ping z → x (across the tunnel)",
                "ping x → y (across the tunnel)",
                "ping z → y (same host)",
                "z's security group (default) has no ICMP rule: x → z gets no reply",
                "x: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
                "y: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
                "z: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
                "x: echoes from 192.168.10.253 dropped by dvrl-s-x, its own pass",
                "y: echoes from 192.168.10.253 dropped by dvrl-s-y, its own pass",
                "z: echoes from 192.168.10.253 dropped by dvrl-s-z, its own pass",
            ],
        );
        // only same-host sources lack ICMP: the blocked check is same host
        const one = { ...outputs, machines: [outputs.machines[1], outputs.machines[2]] };
        const blocked = planChecks(one).filter((c) => c.kind === "ping" && c.expect === "blocked");
        assert.deepEqual(
            blocked.map((c: any) => [c.from, c.to, c.scope]),
            [["y", "z", "same host"]],
        );
        // "any" opens ICMP too; another protocol does not
        assert.equal(allowsIcmpFrom({ ...outputs.machines[2], ingress: [{ protocol: "any" }] }, "10.9.9.9"), true);
        assert.equal(allowsIcmpFrom({ ...outputs.machines[2], ingress: [{ protocol: "udp" }] }, "10.9.9.9"), false);
    });

    it("spoofAddress refuses a full subnet; packetsOf and fdbRowsFor read only whole, well-formed rows", () => {
        const tiny: StackOutputs = {
            ...outputs,
            networks: [{ ...outputs.networks[0], cidr: "192.168.10.0/30", prefix: 30, gateway: "192.168.10.1", dhcpIp: "192.168.10.2" }],
            machines: [outputs.machines[0]],
        };
        assert.throws(() => spoofAddress(tiny, tiny.machines[0]), /^Error: no free address in 192\.168\.10\.0\/30 to spoof$/);
        const small: StackOutputs = {
            ...tiny,
            networks: [{ ...tiny.networks[0], cidr: "192.168.10.0/29", prefix: 29 }],
            machines: [{ ...outputs.machines[0], ip: "192.168.10.6" }],
        };
        assert.equal(spoofAddress(small, small.machines[0]), "192.168.10.5", "the highest free host address, never the broadcast (.7)");
        const dump =
            " cookie=0x1, table=0, n_packets=12, priority=9,in_port=2 actions=resubmit(,25)\n cookie=0x2, table=0, priority=10,arp,in_port=2 actions=resubmit(,24)";
        assert.equal(packetsOf(dump, ["priority=9", "in_port=2"]), 12);
        assert.equal(packetsOf(dump, ["priority=10", "in_port=2"]), undefined, "a matching line without a counter");
        assert.equal(packetsOf(dump, ["priority=9", "in_port=3"]), undefined, "every part must match");
        const fdb = ["    1     x  fa:16:3e:54:88:14    1", "    1  fa:16:3e:54:88:14", "    2     3  fa:16:3e:54:88:14    1"].join("\n");
        assert.deepEqual(fdbRowsFor(fdb, ["FA:16:3E:54:88:14"]), [{ port: "2", vlan: 3, mac: "fa:16:3e:54:88:14" }]);
    });

    it("routes only between routed networks: a VM of an unrouted network pings and is pinged on its own network only", () => {
        const o: StackOutputs = {
            hosts: [
                { name: "b", host: "10.0.0.2", port: 22, user: "root", tunnelIp: "10.0.0.2", role: "compute" },
                { name: "a", host: "10.0.0.1", port: 22, user: "root", tunnelIp: "10.0.0.1", role: "network" },
            ],
            networks: [
                {
                    name: "net3",
                    cidr: "192.168.30.0/24",
                    prefix: 24,
                    vni: 3,
                    vlan: 3,
                    dhcpIp: "192.168.30.2",
                    gateway: "192.168.30.1",
                    gatewayMac: "fa:16:3e:00:30:01",
                },
                {
                    name: "net1",
                    cidr: "192.168.10.0/24",
                    prefix: 24,
                    vni: 0x813,
                    vlan: 1,
                    dhcpIp: "192.168.10.2",
                    gateway: "192.168.10.1",
                    gatewayMac: "fa:16:3e:54:88:14",
                },
                {
                    name: "net2",
                    cidr: "192.168.20.0/24",
                    prefix: 24,
                    vni: 0x814,
                    vlan: 2,
                    dhcpIp: "192.168.20.2",
                    gateway: "192.168.20.1",
                    gatewayMac: "fa:16:3e:d7:eb:e3",
                },
            ],
            machines: [
                { ...vm("x", "a", "192.168.10.11", true), network: "net1" },
                { ...vm("w", "b", "192.168.20.14", true), network: "net2", vlan: 2 },
                { ...vm("u", "b", "192.168.30.15", false), network: "net3", vlan: 3 },
            ],
            router: { networks: ["net1", "net2"], dvrMacs: { a: "fa:16:3f:00:00:01", b: "fa:16:3f:00:00:02" } },
        };
        const c = planChecks(o);
        assert.deepEqual(
            c.filter((k) => k.kind === "ping").map((k: any) => `${k.from}>${k.to}:${k.expect}`),
            ["w>x:reply", "x>w:reply"],
            "u (net3, unrouted, no ICMP rule) is in no ping: nobody on its network to try",
        );
        // the routed trace across the tunnel: the source host's tunnel port and DVR MAC, the destination network's VNI
        const [x, w] = [o.machines[0], o.machines[1]];
        const t = routedTrace(o, x, w);
        assert.equal(
            t[2].flow,
            "in_port={port:vxlan-0a000001},tun_id=0x814,dl_src=fa:16:3f:00:00:01,dl_dst=fa:16:3e:00:00:14,icmp,nw_src=192.168.10.11,nw_dst=192.168.20.14,icmp_type=8",
        );
        assert.equal(t[0].flow, "in_port=2,dl_src=fa:16:3e:00:00:11,dl_dst=fa:16:3e:54:88:14,icmp,nw_src=192.168.10.11,nw_dst=192.168.20.14,icmp_type=8");
        const back = pingTrace(o, w, { ...x, network: "net1" }, x.mac);
        assert.equal(
            back[2].flow,
            "in_port={port:vxlan-0a000002},tun_id=0x813,icmp,dl_src=fa:16:3e:00:00:14,dl_dst=fa:16:3e:00:00:11,nw_src=192.168.20.14,nw_dst=192.168.10.11,icmp_type=8",
        );
        // no router: the trace falls back to the destination gateway MAC as source
        const noRouter = { ...o, router: undefined };
        assert.match(routedTrace(noRouter, x, w)[2].flow, /dl_src=fa:16:3e:d7:eb:e3,/);
    });

    it("reads one iptables rule's packet counter by its spec (iptables-nft and -legacy put -c in different places)", () => {
        const nft = ["-N dvrl-i-web -c 0 0", "-A dvrl-i-web -m state --state INVALID -c 4 240 -j DROP", "-A dvrl-i-web -c 17 1428 -j DROP"].join("\n");
        assert.equal(ruleCounter(nft, "-A dvrl-i-web -j DROP"), 17);
        assert.equal(ruleCounter(nft, "-A dvrl-i-web -m state --state INVALID -j DROP"), 4);
        assert.equal(
            ruleCounter(
                "-A dvrl-s-web -s 10.0.0.5/32 -m mac --mac-source FA:16:3E:00:00:01 -j RETURN -c 3 180",
                "-A dvrl-s-web -s 10.0.0.5/32 -m mac --mac-source FA:16:3E:00:00:01 -j RETURN",
            ),
            3,
        );
        assert.equal(ruleCounter(nft, "-A dvrl-i-web -p icmp -j ACCEPT"), undefined);
    });
});

describe("verify plan: a host's own bridge names", () => {
    it("traces and flow reads use each host's bridges (outputs without bridges: br-int/br-tun)", () => {
        const o: StackOutputs = {
            ...outputs,
            hosts: [outputs.hosts[0], { ...outputs.hosts[1], bridges: { int: "dvr-int", tun: "dvr-tun" } }],
        };
        const [x, y] = o.machines;
        assert.deepEqual(
            pingTrace(o, x, y, y.mac).map((s) => `${s.host} ${s.bridge}`),
            ["a br-int", "a br-tun", "b dvr-tun", "b dvr-int"],
        );
        assert.deepEqual(
            pingTrace(o, y, x, x.mac).map((s) => `${s.host} ${s.bridge}`),
            ["b dvr-int", "b dvr-tun", "a br-tun", "a br-int"],
        );
        assert.equal(dhcpTrace(y, "dvr-int")[0].bridge, "dvr-int");
        assert.equal(arpTrace(y, "192.168.10.99", "dvr-int")[0].bridge, "dvr-int");
        assert.equal(dhcpTrace(x)[0].bridge, "br-int");
    });
});
