import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseTopology, resolve, tunnelPortName, vmOfport } from "../../../provider/network/topology";

// The dev stack's own config, read as the program reads it.
function devTopology(): any {
    const text = fs.readFileSync(path.join(__dirname, "../../../Pulumi.dev.yaml"), "utf8");
    const yaml = require("js-yaml");
    return yaml.load(text).config["dvrlab:topology"];
}

const small = () => ({
    hosts: [
        { name: "h1", address: "10.0.0.1", role: "network" },
        { name: "h2", address: "10.0.0.2" },
    ],
    networks: [{ name: "n1", cidr: "192.168.10.0/24", vni: "0x813", vlan: 1 }],
    vms: [{ id: "a", host: "h2", network: "n1", mac: "fa:16:3e:00:00:01", ip: "192.168.10.5" }],
});

function problems(raw: unknown): string {
    try {
        parseTopology(raw);
    } catch (e: any) {
        return e.message;
    }
    assert.fail("expected the topology to be refused");
}

describe("DVR topology", () => {
    it("resolves the dev stack's config into the seed's objects", () => {
        const p = resolve(parseTopology(devTopology()));
        assert.equal(p.dhcpHost, "server-233");
        const { gatewayMac, ...net1 } = p.networks[0];
        assert.deepEqual(net1, { name: "net1", cidr: "192.168.10.0/24", prefix: 24, vni: 0x813, vlan: 1, gateway: "192.168.10.1", dhcpIp: "192.168.10.2" });
        assert.match(gatewayMac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
        assert.notEqual(p.networks[1].gatewayMac, gatewayMac, "one gateway MAC per network");
        // the distributed router: on every host with a VM of its networks, one DVR MAC per host from Neutron's base
        assert.deepEqual(p.routers.map((r) => [r.id, r.namespace, r.networks.map((n) => n.name), r.hosts]), [["r1", "qrouter-r1", ["net1", "net2"], ["server-233", "server-64", "server-68"]]]);
        assert.equal(new Set(Object.values(p.dvrMacs)).size, 3);
        for (const m of Object.values(p.dvrMacs)) assert.match(m, /^fa:16:3f:/);
        const cirros = p.vms.find((v) => v.id === "cirros")!;
        assert.deepEqual([cirros.host, cirros.qbr, cirros.qvb, cirros.qvo, cirros.tap, cirros.vlan, cirros.mac, cirros.ip], ["server-64", "qbr-cirros", "qvb-cirros", "qvo-cirros", "tap-cirros", 1, "fa:16:3e:ff:aa:66", "192.168.10.168"]);
        assert.deepEqual(cirros.ingress, [{ protocol: "icmp", remoteCidr: "0.0.0.0/0" }]);
        assert.deepEqual(p.vms.find((v) => v.id === "locked")!.ingress, [], "default group: no rules");
        // full mesh: 3 hosts → 6 directed ports, Neutron's names
        assert.equal(p.tunnels.length, 6);
        const t = p.tunnels.find((x) => x.host === "server-64" && x.remote === "server-233")!;
        assert.deepEqual(t, { host: "server-64", remote: "server-233", port: "vxlan-ac1e7ce9", remoteIp: "172.30.124.233", localIp: "172.30.124.64" });
        for (const v of p.vms) for (const n of [v.qbr, v.qvb, v.qvo, v.tap]) assert.ok(n.length <= 15, n);
    });

    it("takes VNIs as numbers or the seed's hex", () => {
        assert.equal(parseTopology(small()).networks[0].vni, 0x813);
        assert.equal(parseTopology({ ...small(), networks: [{ ...small().networks[0], vni: 2067 }] }).networks[0].vni, 0x813);
        assert.equal(tunnelPortName("10.0.0.2"), "vxlan-0a000002");
    });

    it("extends the mesh when a host is added", () => {
        const t = small();
        t.hosts.push({ name: "h3", address: "10.0.0.3" });
        const p = resolve(parseTopology(t));
        assert.deepEqual(p.tunnels.filter((x) => x.host === "h1").map((x) => x.port), ["vxlan-0a000002", "vxlan-0a000003"]);
    });

    it("names the config key of every problem", () => {
        const bad = {
            hosts: [{ name: "h1", address: "10.0.0.1;reboot", role: "network" }],
            networks: [{ name: "n1", cidr: "192.168.10.1/24", vni: 1 << 24, vlan: 4095 }],
            vms: [
                { id: "cirros-is-too-long", host: "h1", network: "n1", mac: "fa:16:3e:ff:aa:6", ip: "192.168.10.300" },
                { id: "b", host: "nowhere", network: "n2", mac: "fa:16:3e:ff:aa:67", ip: "192.168.10.3", securityGroup: "web" },
                { id: "c", host: "h1", network: "n1", mac: "fb:16:3e:ff:aa:68", ip: "192.168.10.2" },
            ],
        };
        const msg = problems(bad);
        for (const k of [
            "dvrlab:topology.hosts[0].address",
            "dvrlab:topology.networks[0].vni",
            "dvrlab:topology.networks[0].vlan",
            "dvrlab:topology.vms[0].id",
            "dvrlab:topology.vms[0].mac",
            "dvrlab:topology.vms[0].ip",
            "dvrlab:topology.vms[1].host: unknown host nowhere",
            "dvrlab:topology.vms[1].network: unknown network n2",
            "dvrlab:topology.vms[1].securityGroup: unknown security group web",
            "dvrlab:topology.vms[2].mac: a multicast MAC",
        ]) {
            assert.ok(msg.includes(k), `missing ${k} in:\n${msg}`);
        }
    });

    it("refuses a DHCP or gateway address given to a VM, duplicates and a missing network host", () => {
        const t: any = small();
        t.vms.push({ id: "b", host: "h1", network: "n1", mac: "fa:16:3e:00:00:01", ip: "192.168.10.2" });
        t.hosts[0].role = "compute";
        const msg = problems(t);
        assert.match(msg, /vms\[1\]\.mac: duplicate MAC/);
        assert.match(msg, /vms\[1\]\.ip: 192\.168\.10\.2 is the network's DHCP server address/);
        assert.match(msg, /hosts: exactly one host needs role: network/);
    });

    it("requests a stable ofport per VM port (derived from the id, unique per host, or given)", () => {
        const p = resolve(parseTopology(devTopology()));
        for (const v of p.vms) assert.equal(v.ofport, vmOfport(v.id));
        assert.ok(p.vms.every((v) => v.ofport >= 100 && v.ofport <= 65279));
        assert.equal(vmOfport("cirros"), vmOfport("cirros"));
        const t: any = small();
        t.vms.push({ id: "b", host: "h2", network: "n1", mac: "fa:16:3e:00:00:02", ip: "192.168.10.6", ofport: vmOfport("a") });
        assert.match(problems(t), /vms\[1\]\.ofport: ofport \d+ is also vms\[0\]'s on h2: set ofport explicitly/);
        t.vms[1].host = "h1";
        assert.doesNotThrow(() => parseTopology(t), "another host may use the same number");
    });

    it("validates routers: known networks, one router per network, short names for qr- ports", () => {
        const t: any = small();
        t.networks.push({ name: "a-very-long-net", cidr: "192.168.20.0/24", vni: 2, vlan: 2 });
        t.routers = [
            { id: "r1", networks: ["n1", "nope"] },
            { id: "r2", networks: ["n1", "a-very-long-net"] },
        ];
        const msg = problems(t);
        assert.match(msg, /routers\[0\]\.networks\[1\]: unknown network nope/);
        assert.match(msg, /routers\[1\]\.networks\[0\]: n1 is already on router r1/);
        assert.match(msg, /networks\[1\]\.name: a routed network's name is at most 12 characters/);
    });
});
