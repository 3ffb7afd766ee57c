import { strict as assert } from "assert";
import { allowsIcmpFrom, fdbRowsFor, packetsOf, pingTrace, spoofAddress, StackOutputs } from "../../../provider/verify/plan";
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
        { name: "a", host: "10.0.0.1", port: 22, user: "root", tunnelIp: "10.0.0.1", role: "network" },
        { name: "b", host: "10.0.0.2", port: 22, user: "root", tunnelIp: "10.0.0.2", role: "compute" },
    ],
    networks: [{ name: "net1", cidr: "192.168.10.0/24", prefix: 24, vni: 0x813, vlan: 1, dhcpIp: "192.168.10.2", gateway: "192.168.10.1" }],
    machines: [vm("x", "a", "192.168.10.11", true), vm("y", "b", "192.168.10.12", true), vm("z", "b", "192.168.10.13", false, 3)],
};

describe("verify plan", () => {
    it("plans the seed's checks: leases, pings local and across the tunnel, the blocked VM, ARP spoofing per VM", () => {
        const c = planChecks(outputs);
        assert.deepEqual(c.filter((x) => x.kind === "dhcp").map((x) => (x as any).vm), ["x", "y", "z"]);
        const pings = c.filter((x) => x.kind === "ping") as any[];
        const replies = pings.filter((p) => p.expect === "reply").map((p) => `${p.from}>${p.to}:${p.scope}`).sort();
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
        assert.deepEqual(t.map((s) => `${s.host}/${s.bridge}`), ["a/br-int", "a/br-tun", "b/br-tun", "b/br-int"]);
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
            planChecks(routed).filter((c) => c.kind === "gateway-mac-local").map((c) => (c as any).host),
            ["a", "b"],
        );
        assert.equal(planChecks(outputs).filter((c) => c.kind === "gateway-mac-local").length, 0, "no router, no check");
        // rows as OVS 3.1 prints them (ovs-appctl fdb/show), a gateway MAC learnt on patch-tun (port 1); MACs compare case-blind
        const fdb = [" port  VLAN  MAC                Age", "    3     1  fa:16:3e:00:10:01   95", "    1     7  FA:16:3E:54:88:14    1", "    2     2  fa:16:3e:20:00:0c    1", "LOCAL     0  36:9e:e6:44:d5:4b    5"].join("\n");
        assert.deepEqual(fdbRowsFor(fdb, ["fa:16:3e:54:88:14", "fa:16:3e:00:10:01"]), [
            { port: "3", vlan: 1, mac: "fa:16:3e:00:10:01" },
            { port: "1", vlan: 7, mac: "fa:16:3e:54:88:14" },
        ]);
        assert.deepEqual(fdbRowsFor(fdb, ["fa:16:3e:ff:ff:ff"]), []);
    });
});
