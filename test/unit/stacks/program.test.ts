import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

// The stack program under pulumi's mocks: which resources it declares, with which inputs.
describe("DVR stack program (mocked engine)", function () {
    this.timeout(30_000);
    const created: { type: string; name: string; inputs: any; parent?: string }[] = [];
    const of = (type: string) => created.filter((c) => c.type.endsWith(type));

    before(async () => {
        const topology = {
            hosts: [
                { name: "server-233", address: "10.9.0.233", role: "network" },
                { name: "server-64", address: "10.9.0.64" },
                { name: "server-68", address: "10.9.0.68" },
            ],
            networks: [
                { name: "net1", cidr: "192.168.10.0/24", vni: "0x813", vlan: 1 },
                { name: "net2", cidr: "192.168.20.0/24", vni: "0x814", vlan: 2 },
            ],
            routers: [{ id: "r1", networks: ["net1", "net2"] }],
            securityGroups: { icmp: { ingress: [{ protocol: "icmp" }] } },
            vms: [
                { id: "cirros", host: "server-64", network: "net1", mac: "FA:16:3E:FF:AA:66", ip: "192.168.10.168", securityGroup: "icmp" },
                { id: "web", host: "server-68", network: "net2", mac: "fa:16:3e:ff:20:68", ip: "192.168.20.68" },
            ],
        };
        pulumi.runtime.setAllConfig({ "dvrlab:topology": JSON.stringify(topology) });
        let n = 0;
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({ type: args.type, name: args.name, inputs: args.inputs });
                    // OVS assigns ofports; the mock hands out distinct ones
                    const extra = args.type.endsWith("dvrlab:OvsPort") ? { ofport: args.inputs.ofportRequest ?? 10 + n++ } : {};
                    return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
                },
                call: () => ({}),
            },
            "dvrlab",
            "unit",
        );
        await import("../../../stacks/dvr/index");
        // Resources register asynchronously: wait (bounded) until no new one arrived for 200 ms.
        for (let seen = -1, end = Date.now() + 20_000; seen !== created.length;) {
            if (Date.now() > end) throw new Error("the program kept declaring resources for 20 s");
            seen = created.length;
            await new Promise((r) => setTimeout(r, 200));
        }
    });

    it("builds br-int and br-tun with patch-int as port 1 on every host", () => {
        assert.deepEqual(
            of("dvrlab:stack:DvrHost")
                .map((c) => c.name)
                .sort(),
            ["server-233", "server-64", "server-68"],
        );
        assert.equal(of("dvrlab:OvsBridge").length, 6);
        const pi = of("dvrlab:OvsPort").filter((p) => p.inputs.name === "patch-int");
        assert.equal(pi.length, 3);
        for (const p of pi) assert.deepEqual([p.inputs.ofportRequest, p.inputs.options.peer, p.inputs.bridge], [1, "patch-tun", "br-tun"]);
    });

    it("meshes VXLAN between every pair and floods to every tunnel port", () => {
        const vx = of("dvrlab:OvsPort").filter((p) => p.inputs.type === "vxlan");
        assert.equal(vx.length, 6);
        const from64 = vx
            .filter((p) => p.inputs.connection.host === "10.9.0.64")
            .map((p) => p.inputs.options.remoteIp)
            .sort();
        assert.deepEqual(from64, ["10.9.0.233", "10.9.0.68"]);
        const flood = of("dvrlab:FlowEntry").find((f) => f.name === "server-64-tun-flood-net1")!;
        assert.equal(flood.inputs.table, 22);
        assert.match(flood.inputs.actions, /^strip_vlan,set_tunnel:0x813,output:\d+,output:\d+$/);
    });

    it("wires the seed's VM chain on its host, owned by this stack, with its security group and spoof flows", () => {
        const qbr = of("dvrlab:LinuxBridge")[0];
        assert.equal(qbr.inputs.name, "qbr-cirros");
        assert.deepEqual(qbr.inputs.connection, { host: "10.9.0.64", port: 22, user: "root", name: "server-64" });
        assert.equal(qbr.inputs.owner, "dvrlab:dvrlab/unit");
        assert.equal(qbr.inputs.nfCallIptables, true);
        const qvo = of("dvrlab:OvsPort").find((p) => p.inputs.name === "qvo-cirros")!;
        assert.equal(qvo.inputs.tag, 1);
        const sg = of("dvrlab:SecurityGroup")[0];
        assert.deepEqual([sg.inputs.portId, sg.inputs.tap, sg.inputs.ingress], ["cirros", "tap-cirros", [{ protocol: "icmp", remoteCidr: "0.0.0.0/0" }]]);
        const arp = of("dvrlab:FlowEntry").find((f) => f.name === "cirros-arp-spoof-allow")!;
        assert.equal(arp.inputs.table, 24);
        assert.match(arp.inputs.match, /^arp,in_port=\d+,arp_spa=192\.168\.10\.168$/);
        const mac = of("dvrlab:FlowEntry").find((f) => f.name === "cirros-mac-spoof-allow")!;
        assert.match(mac.inputs.match, /dl_src=fa:16:3e:ff:aa:66$/);
    });

    it("runs DHCP for the network on the network host with a lease for the VM, and boots the VM from an image on its host", () => {
        const d = of("dvrlab:DhcpServer")[0];
        assert.deepEqual([d.inputs.connection.host, d.inputs.network, d.inputs.tag, d.inputs.address], ["10.9.0.233", "net1", 1, "192.168.10.2/24"]);
        const l = of("dvrlab:DhcpLease")[0];
        assert.deepEqual([l.inputs.mac, l.inputs.ip, l.inputs.hostname], ["fa:16:3e:ff:aa:66", "192.168.10.168", "cirros"]);
        const dom = of("dvrlab:LibvirtDomain")[0];
        assert.equal(dom.inputs.connection.host, "10.9.0.64");
        assert.deepEqual(dom.inputs.interfaces, [{ bridge: "qbr-cirros", tap: "tap-cirros", mac: "fa:16:3e:ff:aa:66" }]);
        const files = of("dvrlab:HostFile").filter((f) => f.inputs.connection.host === "10.9.0.64");
        assert.equal(files.length, 3);
        assert.ok(dom.inputs.boot.kernel.startsWith("/var/lib/dvrlab/images/"));
    });

    it("routes r1 on the hosts with VMs on net1/net2 only, with each host's DVR flows and cookies derived from the names", () => {
        const ns = of("dvrlab:RouterNamespace")
            .map((c) => `${c.name}:${c.inputs.name}`)
            .sort();
        assert.deepEqual(ns, ["server-64-qrouter-r1:qrouter-r1", "server-68-qrouter-r1:qrouter-r1"], "not server-233: no VM there");
        const qr = of("dvrlab:RouterPort").map((c) => [c.name, c.inputs.name, c.inputs.tag, c.inputs.mac, c.inputs.address]);
        assert.deepEqual(qr.sort(), [
            ["server-64-r1-qr-net1", "qr-net1", 1, "fa:16:3e:54:88:14", "192.168.10.1/24"],
            ["server-64-r1-qr-net2", "qr-net2", 2, "fa:16:3e:d7:eb:e3", "192.168.20.1/24"],
            ["server-68-r1-qr-net1", "qr-net1", 1, "fa:16:3e:54:88:14", "192.168.10.1/24"],
            ["server-68-r1-qr-net2", "qr-net2", 2, "fa:16:3e:d7:eb:e3", "192.168.20.1/24"],
        ]);
        const flows = new Map(of("dvrlab:FlowEntry").map((f) => [f.name, f.inputs]));
        const dvr = [...flows.keys()].filter((n) => /-r1-|dvr-not-learn-|dvr-from-/.test(n)).sort();
        assert.deepEqual(dvr, [
            "server-64-int-dvr-from-server-68",
            "server-64-r1-dvr-process-arp-drop-net1",
            "server-64-r1-dvr-process-arp-drop-net2",
            "server-64-r1-dvr-process-gw-mac-drop-net1",
            "server-64-r1-dvr-process-gw-mac-drop-net2",
            "server-64-r1-dvr-process-src-rewrite-net1",
            "server-64-r1-dvr-process-src-rewrite-net2",
            "server-64-r1-dvr-to-cirros",
            "server-64-r1-gw-mac-from-tun-drop-net1",
            "server-64-r1-gw-mac-from-tun-drop-net2",
            "server-64-tun-dvr-not-learn-server-68",
            "server-68-int-dvr-from-server-64",
            "server-68-r1-dvr-process-arp-drop-net1",
            "server-68-r1-dvr-process-arp-drop-net2",
            "server-68-r1-dvr-process-gw-mac-drop-net1",
            "server-68-r1-dvr-process-gw-mac-drop-net2",
            "server-68-r1-dvr-process-src-rewrite-net1",
            "server-68-r1-dvr-process-src-rewrite-net2",
            "server-68-r1-dvr-to-web",
            "server-68-r1-gw-mac-from-tun-drop-net1",
            "server-68-r1-gw-mac-from-tun-drop-net2",
            "server-68-tun-dvr-not-learn-server-64",
        ]);
        // server-64's router leaves with server-64's DVR MAC; server-68 hands server-64's frames to table 1
        const rw = flows.get("server-64-r1-dvr-process-src-rewrite-net2")!;
        assert.deepEqual(
            [rw.table, rw.priority, rw.match, rw.actions],
            [1, 1, "dl_vlan=2,dl_src=fa:16:3e:d7:eb:e3", "mod_dl_src:fa:16:3f:d2:96:61,resubmit(,2)"],
        );
        const from = flows.get("server-68-int-dvr-from-server-64")!;
        assert.deepEqual([from.table, from.priority, from.match, from.actions], [0, 2, "in_port=1,dl_src=fa:16:3f:d2:96:61", "resubmit(,1)"]);
        const toWeb = flows.get("server-68-r1-dvr-to-web")!;
        assert.deepEqual([toWeb.match, toWeb.actions], ["dl_vlan=2,dl_dst=fa:16:3e:ff:20:68", "strip_vlan,mod_dl_src:fa:16:3e:d7:eb:e3,output:7925"]);
        // cookies: flowCookie("dvrlab", "unit", name), literal
        assert.equal(flows.get("server-64-tun-flood-net1")!.cookie, "0xd7849f4e40cb8edb");
        assert.equal(flows.get("cirros-arp-spoof-allow")!.cookie, "0xd7849fe40ed05c64");
        // requested ofports: 100 + FNV-1a(id) mod 60000
        assert.deepEqual(
            of("dvrlab:OvsPort")
                .filter((p) => /^qvo-/.test(p.inputs.name))
                .map((p) => [p.inputs.name, p.inputs.ofportRequest])
                .sort(),
            [
                ["qvo-cirros", 16351],
                ["qvo-web", 7925],
            ],
        );
    });
});
