import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseTopology, resolve, tunnelPortName } from "../../../provider/network/topology";

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
        assert.deepEqual(net1, {
            name: "net1",
            cidr: "192.168.10.0/24",
            prefix: 24,
            vni: 0x813,
            vlan: 1,
            gateway: "192.168.10.1",
            dhcpIp: "192.168.10.2",
            mtu: 1450,
        });
        assert.equal(gatewayMac, "fa:16:3e:54:88:14");
        assert.equal(p.networks[1].gatewayMac, "fa:16:3e:d7:eb:e3", "one gateway MAC per network");
        // the distributed router: on every host with a VM of its networks, one DVR MAC per host from Neutron's base
        assert.deepEqual(
            p.routers.map((r) => [r.id, r.namespace, r.networks.map((n) => n.name), r.hosts]),
            [["r1", "qrouter-r1", ["net1", "net2"], ["server-233", "server-64", "server-68"]]],
        );
        assert.deepEqual(p.dvrMacs, { "server-233": "fa:16:3f:39:60:57", "server-64": "fa:16:3f:d2:96:61", "server-68": "fa:16:3f:fb:74:ed" });
        const cirros = p.vms.find((v) => v.id === "cirros")!;
        assert.deepEqual(
            [cirros.host, cirros.qbr, cirros.qvb, cirros.qvo, cirros.tap, cirros.vlan, cirros.mac, cirros.ip],
            ["server-64", "qbr-cirros", "qvb-cirros", "qvo-cirros", "tap-cirros", 1, "fa:16:3e:ff:aa:66", "192.168.10.168"],
        );
        assert.deepEqual(cirros.ingress, [{ protocol: "icmp", remoteCidr: "0.0.0.0/0" }]);
        // undeclared default group: Neutron's, ingress from its members (locked is its only one), egress unset (all)
        assert.deepEqual(p.vms.find((v) => v.id === "locked")!.ingress, [{ protocol: "any", remoteCidr: "192.168.10.68/32" }]);
        assert.equal(p.vms.find((v) => v.id === "locked")!.egress, undefined);
        assert.equal(cirros.egress, undefined);
        // full mesh: 3 hosts → 6 directed ports, Neutron's names
        assert.equal(p.tunnels.length, 6);
        const t = p.tunnels.find((x) => x.host === "server-64" && x.remote === "server-233")!;
        assert.deepEqual(t, { host: "server-64", remote: "server-233", port: "vxlan-ac1e7ce9", remoteIp: "172.30.124.233", localIp: "172.30.124.64" });
        for (const v of p.vms) for (const n of [v.qbr, v.qvb, v.qvo, v.tap]) assert.ok(n.length <= 15, n);
    });

    it("a network's MTU (default 1450) reaches its VMs; 576–9000", () => {
        const t: any = small();
        t.networks[0].mtu = 9000;
        const p = resolve(parseTopology(t));
        assert.equal(p.networks[0].mtu, 9000);
        assert.deepEqual(
            p.vms.map((v) => v.mtu),
            p.vms.map(() => 9000),
        );
        assert.equal(resolve(parseTopology(small())).networks[0].mtu, 1450);
        for (const bad of [575, 9001, 1450.5, "1450"]) {
            const b: any = small();
            b.networks[0].mtu = bad;
            assert.match(problems(b), /dvrlab:topology\.networks\[0\]\.mtu: /);
        }
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
        assert.deepEqual(
            p.tunnels.filter((x) => x.host === "h1").map((x) => x.port),
            ["vxlan-0a000002", "vxlan-0a000003"],
        );
    });

    it("names the config key of every problem", () => {
        const bad = {
            securityGroups: {
                ssh: {
                    ingress: [{ protocol: "tcp", port: 22, remoteGroup: "admins" }],
                    egress: [{ protocol: "any", remoteCidr: "10.0.0.0/8", remoteGroup: "ssh" }],
                },
            },
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
            "dvrlab:topology.securityGroups.ssh.ingress[0].remoteGroup: unknown security group admins",
            "dvrlab:topology.securityGroups.ssh.egress[0].remoteGroup: remoteCidr or remoteGroup, not both",
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
        assert.deepEqual(
            p.vms.map((v) => [v.id, v.ofport]),
            [
                ["cirros", 16351],
                ["peer", 8013],
                ["vm233", 21740],
                ["locked", 4919],
                ["web", 7925],
            ],
        );
        const t: any = small();
        t.vms.push({ id: "b", host: "h2", network: "n1", mac: "fa:16:3e:00:00:02", ip: "192.168.10.6", ofport: 42320 }); // vmOfport("a")
        assert.match(problems(t), /vms\[1\]\.ofport: ofport 42320 is also vms\[0\]'s on h2: set ofport explicitly/);
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

describe("DVR topology: routers and duplicates", () => {
    const routed = () => ({
        hosts: [
            { name: "h1", address: "10.0.0.1", role: "network" },
            { name: "h2", address: "10.0.0.2" },
            { name: "h3", address: "10.0.0.3" },
            { name: "h4", address: "10.0.0.4" },
        ],
        networks: [
            { name: "n1", cidr: "192.168.10.0/24", vni: 1, vlan: 1 },
            { name: "n2", cidr: "192.168.20.0/24", vni: 2, vlan: 2, gateway: "192.168.20.254", gatewayMac: "fa:16:3e:00:20:fe" },
            { name: "n3", cidr: "192.168.30.0/24", vni: 3, vlan: 3 },
        ],
        routers: [{ id: "r1", networks: ["n1", "n2"] }],
        vms: [
            { id: "a", host: "h2", network: "n1", mac: "fa:16:3e:00:00:01", ip: "192.168.10.5" },
            { id: "b", host: "h4", network: "n2", mac: "fa:16:3e:00:00:02", ip: "192.168.20.5" },
            { id: "c", host: "h3", network: "n3", mac: "fa:16:3e:00:00:03", ip: "192.168.30.5" },
        ],
    });

    it("a router lives only on the hosts with a VM on one of its networks, in topology order", () => {
        const p = resolve(parseTopology(routed()));
        assert.equal(p.routers.length, 1);
        const r = p.routers[0];
        assert.deepEqual([r.id, r.namespace, r.hosts], ["r1", "qrouter-r1", ["h2", "h4"]], "not h1 (no VM), not h3 (its VM's network is not routed)");
        assert.deepEqual(
            r.networks.map((n) => [n.name, n.gateway, n.gatewayMac, n.vlan, n.vni]),
            [
                ["n1", "192.168.10.1", "fa:16:3e:32:7f:d1", 1, 1],
                ["n2", "192.168.20.254", "fa:16:3e:00:20:fe", 2, 2],
            ],
        );
        // every host gets a DVR MAC (a host may gain a routed VM later); derived from the name
        assert.deepEqual(Object.keys(p.dvrMacs), ["h1", "h2", "h3", "h4"]);
        const noRouter = resolve(parseTopology({ ...routed(), routers: undefined }));
        assert.deepEqual(noRouter.routers, []);
    });

    it("refuses a tunnel IP used twice (given, or the address of another host), a duplicate router id and a gateway MAC used twice", () => {
        const t: any = routed();
        t.hosts[1].tunnelIp = "10.0.0.1";
        t.hosts[3] = { name: "h4", address: "h4.example", tunnelIp: "10.0.0.3" };
        t.routers.push({ id: "r1", networks: ["n3", "n3"] });
        t.networks[2].gatewayMac = "fa:16:3e:00:20:fe";
        const msg = problems(t);
        assert.match(msg, /dvrlab:topology\.hosts\[1\]\.tunnelIp: duplicate tunnel address 10\.0\.0\.1 \(also at index 0\)/);
        assert.match(msg, /dvrlab:topology\.hosts\[3\]\.tunnelIp: duplicate tunnel address 10\.0\.0\.3 \(also at index 2\)/);
        assert.match(msg, /dvrlab:topology\.routers\[1\]\.id: duplicate router id r1 \(also at index 0\)/);
        assert.match(msg, /dvrlab:topology\.routers\[1\]\.networks\[1\]: n3 is already on router r1/);
        assert.match(msg, /dvrlab:topology\.networks\[2\]\.gatewayMac: duplicate gateway MAC fa:16:3e:00:20:fe \(also at index 1\)/);
        const ok: any = routed();
        ok.hosts[3] = { name: "h4", address: "h4.example", tunnelIp: "10.0.0.4" };
        assert.doesNotThrow(() => parseTopology(ok), "a host name with its own tunnel IP");
        ok.hosts[3] = { name: "h4", address: "h4.example" };
        assert.match(problems(ok), /hosts\[3\]\.tunnelIp: required when address is a host name/);
    });

    it("refuses duplicate host names, network names, VNIs, VLANs, VM ids and addresses, naming both indexes", () => {
        const t: any = routed();
        t.hosts[2].name = "h2";
        t.networks[1].name = "n1";
        t.networks[2].vni = 1;
        t.networks[2].vlan = 1;
        t.vms[1] = { id: "a", host: "h2", network: "n3", mac: "fa:16:3e:00:00:09", ip: "192.168.30.5" };
        const msg = problems(t);
        for (const line of [
            "hosts[2].name: duplicate host name h2 (also at index 1)",
            "networks[1].name: duplicate network name n1 (also at index 0)",
            "networks[2].vni: duplicate VNI 1 (also at index 0)",
            "networks[2].vlan: duplicate local VLAN 1 (also at index 0)",
            "vms[1].id: duplicate VM id a (also at index 0)",
            "vms[2].ip: duplicate address n3/192.168.30.5 (also at index 1)",
        ]) {
            assert.ok(msg.includes(`dvrlab:topology.${line}`), `missing ${line} in:\n${msg}`);
        }
    });

    it("refuses addresses outside their subnet, small subnets, VLAN 0/4095, long routed names; each message literal", () => {
        const t: any = routed();
        t.networks[0] = { name: "n1", cidr: "192.168.10.0/30", vni: 1, vlan: 0, dhcpAddress: "192.168.11.2", gateway: "192.168.10.0" };
        t.networks[1].cidr = "192.168.20.1/24";
        t.networks[1].vlan = 4095;
        t.networks.push({ name: "abcdefghijklm", cidr: "192.168.40.0/29", vni: 4, vlan: 4 });
        t.routers = [{ id: "r1", networks: ["n2", "abcdefghijklm", "n4"] }];
        t.vms[0].ip = "192.168.11.5";
        t.vms[2].ip = "192.168.30.1";
        t.vms.push({ id: "d", host: "h9", network: "n9", mac: "fa:16:3e:00:00:04", ip: "10.0.0.5", securityGroup: "web" });
        const msg = problems(t);
        for (const line of [
            "networks[0].vlan: a VLAN id 1–4094",
            "networks[1].vlan: a VLAN id 1–4094",
            "networks[0].cidr: the subnet must be /29 or larger",
            "networks[1].cidr: not a network address: did you mean 192.168.20.0/24?",
            "networks[0].dhcpAddress: 192.168.11.2 is not a host address of 192.168.10.0/30",
            "networks[0].gateway: 192.168.10.0 is not a host address of 192.168.10.0/30",
            "networks[3].name: a routed network's name is at most 12 characters (its router port is qr-<name>)",
            "routers[0].networks[2]: unknown network n4",
            "vms[0].ip: 192.168.11.5 is not a host address of 192.168.10.0/30",
            "vms[2].ip: 192.168.30.1 is the network's gateway address",
            "vms[3].host: unknown host h9",
            "vms[3].network: unknown network n9",
            "vms[3].securityGroup: unknown security group web",
        ]) {
            assert.ok(msg.includes(`  dvrlab:topology.${line}\n`) || msg.endsWith(`  dvrlab:topology.${line}`), `missing ${line} in:\n${msg}`);
        }
        assert.ok(msg.startsWith("invalid configuration:\n  dvrlab:topology."), msg);
        assert.equal(msg.includes("vms[1]"), false, msg);
        // the edges that pass: /29, VLAN 1 and 4094, a 12-character routed name, the last host address
        const ok: any = routed();
        ok.networks[0] = { name: "abcdefghijkl", cidr: "192.168.10.0/29", vni: 1, vlan: 4094 };
        ok.routers = [{ id: "r1", networks: ["abcdefghijkl", "n2"] }];
        ok.vms[0] = { ...ok.vms[0], network: "abcdefghijkl", ip: "192.168.10.6" };
        ok.vms[1] = { ...ok.vms[1], ofport: 100 };
        ok.domainPrefix = "lab2-";
        ok.hosts[1] = { ...ok.hosts[1], port: 2222, user: "admin" };
        const p = resolve(parseTopology(ok));
        assert.deepEqual(
            p.vms.map((v) => [v.domain, v.ofport]),
            [
                ["lab2-a", 42320],
                ["lab2-b", 100],
                ["lab2-c", 57558],
            ],
        );
        assert.deepEqual(p.hosts[1], {
            name: "h2",
            role: "compute",
            connection: { host: "10.0.0.2", port: 2222, user: "admin", name: "h2" },
            tunnelIp: "10.0.0.2",
            adopt: [],
            bridges: { int: "br-int", tun: "br-tun" },
        });
        const adopting: any = routed();
        adopting.hosts[1] = { ...adopting.hosts[1], adopt: ["br-int"] };
        assert.deepEqual(resolve(parseTopology(adopting)).hosts[1].adopt, ["br-int"]);
        adopting.hosts[1].adopt = ["br-ex"];
        assert.match(problems(adopting), /dvrlab:topology\.hosts\[1\]\.adopt\[0\]: br-ex is not one of this host's bridges \(br-int, br-tun\)/);
        assert.equal(p.dhcpHost, "h1");
        const second: any = routed();
        second.hosts = [second.hosts[1], second.hosts[0], second.hosts[2], second.hosts[3]];
        assert.equal(resolve(parseTopology(second)).dhcpHost, "h1", "the network host, wherever it is listed");
        // two host names deriving one DVR MAC under a base that fixes four octets: refused at dvrBaseMac
        const clash: any = routed();
        clash.dvrBaseMac = "fa:16:3f:07:00:00";
        clash.hosts[2].name = "h648";
        clash.hosts[3].name = "h654";
        clash.vms = [];
        assert.match(
            problems(clash),
            /dvrlab:topology\.dvrBaseMac: dvrMacs: hosts h648 and h654 both derive fa:16:3f:07:96:43; use host indexes or another base/,
        );
        assert.throws(
            () => parseTopology({ ...routed(), vms: [{ ...routed().vms[0], mac: "fb:16:3e:00:00:01" }] }, "my:topo"),
            /^Error: invalid configuration:\n {2}my:topo\.vms\[0\]\.mac: a multicast MAC \(odd first octet\) cannot be a NIC's address$/,
        );
    });
});

describe("topology: how each host is reached (SSH settings per host)", () => {
    it("passes user, port, keyRef, agent, become and bastion into every resource's connection, with the host's name as its identity", () => {
        const t = small();
        (t.hosts[1] as any) = {
            name: "h2",
            address: "10.1.0.2",
            port: 2222,
            user: "debian",
            keyRef: "h2Key",
            agent: true,
            become: "sudo",
            bastion: { host: "192.0.2.2", user: "jump", keyRef: "jumpKey" },
        };
        const p = resolve(parseTopology(t));
        assert.deepEqual(p.hosts[0].connection, { host: "10.0.0.1", port: 22, user: "root", name: "h1" });
        assert.deepEqual(p.hosts[1].connection, {
            host: "10.1.0.2",
            port: 2222,
            user: "debian",
            name: "h2",
            keyRef: "h2Key",
            agent: true,
            become: "sudo",
            bastion: { host: "192.0.2.2", port: 22, user: "jump", keyRef: "jumpKey" },
        });
    });

    it("names the config key of a bad SSH setting", () => {
        const t: any = small();
        t.hosts[1] = { ...t.hosts[1], keyRef: "my key", agent: "yes", become: "su", bastion: { host: "jump host", user: "Jump", port: 70000, via: "x" } };
        assert.equal(
            problems(t),
            "invalid configuration:\n" +
                "  dvrlab:topology.hosts[1].keyRef: a config key name\n" +
                "  dvrlab:topology.hosts[1].agent: Invalid input: expected boolean, received string\n" +
                '  dvrlab:topology.hosts[1].become: Invalid input: expected "sudo"\n' +
                "  dvrlab:topology.hosts[1].bastion.host: a host name or IP address\n" +
                "  dvrlab:topology.hosts[1].bastion.port: Too big: expected number to be <=65535\n" +
                "  dvrlab:topology.hosts[1].bastion.user: a Unix user name\n" +
                '  dvrlab:topology.hosts[1].bastion: Unrecognized key: "via"',
        );
    });
});

describe("topology: bridge names per host", () => {
    it("defaults to br-int/br-tun; a host may name its own, and adopt lists those names", () => {
        const t: any = small();
        t.hosts[1] = { ...t.hosts[1], bridges: { int: "dvr-int" }, adopt: ["dvr-int"] };
        const p = resolve(parseTopology(t));
        assert.deepEqual(
            p.hosts.map((h) => [h.name, h.bridges, h.adopt]),
            [
                ["h1", { int: "br-int", tun: "br-tun" }, []],
                ["h2", { int: "dvr-int", tun: "br-tun" }, ["dvr-int"]],
            ],
        );
    });

    it("refuses bad names at preview, naming the field: Linux/OVS name rules, the same name twice, a patch port's name, adopting another name", () => {
        const t: any = small();
        t.hosts[0] = { ...t.hosts[0], bridges: { int: "my integration", tun: "a-very-long-bridge" } };
        t.hosts[1] = { ...t.hosts[1], bridges: { int: "brx", tun: "brx" }, adopt: ["br-int"] };
        assert.equal(
            problems(t),
            "invalid configuration:\n" +
                "  dvrlab:topology.hosts[0].bridges.int: letters, digits, '_', '.', '-' only, starting with a letter or digit\n" +
                "  dvrlab:topology.hosts[0].bridges.tun: interface names are at most 15 characters (IFNAMSIZ)\n" +
                "  dvrlab:topology.hosts[1].bridges.tun: must differ from bridges.int (brx)\n" +
                "  dvrlab:topology.hosts[1].adopt[0]: br-int is not one of this host's bridges (brx, brx)",
        );
        const patch: any = small();
        patch.hosts[0] = { ...patch.hosts[0], bridges: { tun: "patch-int" } };
        assert.equal(problems(patch), "invalid configuration:\n  dvrlab:topology.hosts[0].bridges.tun: patch-int is a patch port's name");
        const extra: any = small();
        extra.hosts[0] = { ...extra.hosts[0], bridges: { ex: "br-ex" } };
        assert.equal(problems(extra), 'invalid configuration:\n  dvrlab:topology.hosts[0].bridges: Unrecognized key: "ex"');
    });
});
