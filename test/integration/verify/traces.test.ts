import { strict as assert } from "assert";
import type { FlowSpec } from "../../../provider/flowEntry/resource";
import { brInt, brTun } from "../../../provider/flows";
import { arpTrace, dhcpTrace, Machine, pingTrace, routedTrace, StackOutputs, TraceStep } from "../../../provider/verify/plan";
import { planChecks } from "../../../provider/verify/checks";
import { haveOvs, LocalOvs, startLocalOvs } from "../../helpers/localOvs";

// Every ofproto/trace that `npm run verify` can build, run against a real ovs-vswitchd holding the
// flows the stack installs (the same intents, the same port numbers): a trace OVS refuses, or a
// packet that takes another path than verify expects, fails here. Also the port-security chain of
// br-int (table 0 → 24 → 25 → 60) as OVS executes it: a spoofed ARP dies in table 24, a spoofed
// MAC in table 25, the VM's own ARP passes both.
//
// One private OVS (dummy datapath, see helpers/localOvs) holds both hosts' bridges: host h's
// br-int is `h-int`, its br-tun `h-tun`, and its port NAME is `h-NAME` (OVS port names are global);
// `{port:NAME}` in a trace step is looked up on the step's host, as verify does.

const GW1 = "fa:16:3e:54:88:14";
const GW2 = "fa:16:3e:d7:eb:e3";
const DVR = { a: "fa:16:3f:00:00:01", b: "fa:16:3f:00:00:02" } as const;
const vm = (id: string, host: "a" | "b", network: "net1" | "net2", ip: string, mac: string, ofport: number, icmp: boolean): Machine => ({
    id,
    host,
    network,
    ip,
    mac,
    vlan: network === "net1" ? 1 : 2,
    tap: `tap-${id}`,
    qvo: `qvo-${id}`,
    ofport,
    securityGroup: icmp ? "icmp" : "default",
    ingress: icmp ? [{ protocol: "icmp" }] : [],
    channelSocket: `/x/${id}.sock`,
});
const outputs: StackOutputs = {
    hosts: [
        { name: "a", host: "10.0.0.1", port: 22, user: "root", tunnelIp: "10.0.0.1", role: "network" },
        { name: "b", host: "10.0.0.2", port: 22, user: "root", tunnelIp: "10.0.0.2", role: "compute" },
    ],
    networks: [
        { name: "net1", cidr: "192.168.10.0/24", prefix: 24, vni: 0x813, vlan: 1, dhcpIp: "192.168.10.2", gateway: "192.168.10.1", gatewayMac: GW1 },
        { name: "net2", cidr: "192.168.20.0/24", prefix: 24, vni: 0x814, vlan: 2, dhcpIp: "192.168.20.2", gateway: "192.168.20.1", gatewayMac: GW2 },
    ],
    machines: [
        vm("x", "a", "net1", "192.168.10.11", "fa:16:3e:00:00:11", 16351, true),
        vm("y", "b", "net1", "192.168.10.12", "fa:16:3e:00:00:12", 8013, true),
        vm("z", "b", "net1", "192.168.10.13", "fa:16:3e:00:00:13", 4919, false),
        vm("w", "b", "net2", "192.168.20.14", "fa:16:3e:00:00:14", 7925, true),
        vm("v", "a", "net2", "192.168.20.15", "fa:16:3e:00:00:15", 21740, true),
    ],
    router: { networks: ["net1", "net2"], dvrMacs: { ...DVR } },
};
const M = (id: string) => outputs.machines.find((m) => m.id === id)!;
const TUN_PORT = { a: 2, b: 2 }; // each host's one VXLAN port on br-tun
const QR_PORT = { net1: 3, net2: 4 }; // qr- ports on br-int (OVS-assigned in the stack; requested here)

const flowText = (f: FlowSpec) => `table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ""},actions=${f.actions}`;

/** The flows the stack installs on one host (DvrHost, VmPort, TunnelMesh, DistributedRouter, dvrMacFlows), from the same intents. */
function hostFlows(h: "a" | "b"): { int: FlowSpec[]; tun: FlowSpec[] } {
    const other = h === "a" ? "b" : "a";
    const int: FlowSpec[] = [
        brInt.normal(),
        brInt.spoofDrop({ table: 24 }),
        brInt.spoofDrop({ table: 25 }),
        brInt.transientNormal(),
        brInt.dvrToSrcMacDefault(),
    ];
    const tun: FlowSpec[] = [
        brTun.patchFromInt({ patchPort: 1 }),
        brTun.dvrProcessDefault(),
        brTun.unicastClassify(),
        brTun.floodClassify(),
        brTun.unicastToTunDefault(),
        brTun.dvrNotLearnDefault(),
        brTun.learnFromTun({ patchPort: 1 }),
        brTun.fromTun({ tunPort: TUN_PORT[h] }),
    ];
    for (const n of outputs.networks) {
        tun.push(brTun.tunToLv({ vni: n.vni, vlan: n.vlan }), brTun.floodToTun({ vlan: n.vlan, vni: n.vni, ports: [TUN_PORT[h]] }));
        tun.push(...Object.values(brTun.dvrProcess({ vlan: n.vlan, gatewayIp: n.gateway, gatewayMac: n.gatewayMac!, dvrMac: DVR[h] })));
        tun.push(brTun.dvrGatewayMacFromTunDrop({ gatewayMac: n.gatewayMac! }));
    }
    for (const v of outputs.machines.filter((m) => m.host === h)) {
        int.push(brInt.arpSpoofRedirect({ ofport: v.ofport }), brInt.arpSpoofAllowThenMac({ ofport: v.ofport, ip: v.ip }));
        int.push(brInt.macSpoofRedirect({ ofport: v.ofport }), brInt.macSpoofAllow({ ofport: v.ofport, mac: v.mac }));
        const n = outputs.networks.find((x) => x.name === v.network)!;
        int.push(brInt.dvrToSrcMac({ vlan: v.vlan, dstMac: v.mac, gatewayMac: n.gatewayMac!, ofport: v.ofport }));
    }
    tun.push(brTun.dvrNotLearn({ dvrMac: DVR[other], patchPort: 1 }));
    int.push(brInt.dvrFromTun({ patchPort: 1, dvrMac: DVR[other] }));
    return { int, tun };
}

describe("verify's traces and br-int port security on a real ovs-vswitchd", function () {
    this.timeout(60_000);
    let ovs: LocalOvs;
    /** Port NAME's OpenFlow number on host h (what verify's {port:NAME} resolves to). */
    const portOf = (h: string, name: string) => ovs.vsctl("get", "Interface", `${h}-${name}`, "ofport").trim();

    before(function () {
        assert.ok(haveOvs(), "Open vSwitch is not installed: scripts/setup.sh installs openvswitch-switch");
        ovs = startLocalOvs();
        for (const h of ["a", "b"] as const) {
            const other = h === "a" ? "b" : "a";
            const remote = outputs.hosts.find((x) => x.name === other)!.tunnelIp;
            const tunName = `vxlan-${remote
                .split(".")
                .map((o) => Number(o).toString(16).padStart(2, "0"))
                .join("")}`;
            const args = [
                ...["--", "add-br", `${h}-int`, "--", "set", "Bridge", `${h}-int`, "datapath_type=dummy", "fail_mode=secure"],
                ...["--", "add-br", `${h}-tun`, "--", "set", "Bridge", `${h}-tun`, "datapath_type=dummy", "fail_mode=secure"],
                ...[
                    "--",
                    "add-port",
                    `${h}-int`,
                    `${h}-patch-tun`,
                    "--",
                    "set",
                    "Interface",
                    `${h}-patch-tun`,
                    "type=patch",
                    `options:peer=${h}-patch-int`,
                    "ofport_request=1",
                ],
                ...[
                    "--",
                    "add-port",
                    `${h}-tun`,
                    `${h}-patch-int`,
                    "--",
                    "set",
                    "Interface",
                    `${h}-patch-int`,
                    "type=patch",
                    `options:peer=${h}-patch-tun`,
                    "ofport_request=1",
                ],
                ...[
                    "--",
                    "add-port",
                    `${h}-tun`,
                    `${h}-${tunName}`,
                    "--",
                    "set",
                    "Interface",
                    `${h}-${tunName}`,
                    "type=vxlan",
                    `options:remote_ip=${remote}`,
                    "options:key=flow",
                    `ofport_request=${TUN_PORT[h]}`,
                ],
            ];
            for (const n of outputs.networks) {
                args.push(
                    "--",
                    "add-port",
                    `${h}-int`,
                    `${h}-qr-${n.name}`,
                    `tag=${n.vlan}`,
                    "--",
                    "set",
                    "Interface",
                    `${h}-qr-${n.name}`,
                    "type=dummy",
                    `ofport_request=${QR_PORT[n.name as "net1" | "net2"]}`,
                );
            }
            for (const v of outputs.machines.filter((m) => m.host === h)) {
                args.push(
                    "--",
                    "add-port",
                    `${h}-int`,
                    `${h}-${v.qvo}`,
                    `tag=${v.vlan}`,
                    "--",
                    "set",
                    "Interface",
                    `${h}-${v.qvo}`,
                    "type=dummy",
                    `ofport_request=${v.ofport}`,
                );
            }
            ovs.vsctl(...args);
            const f = hostFlows(h);
            for (const [br, flows] of [
                [`${h}-int`, f.int],
                [`${h}-tun`, f.tun],
            ] as const) {
                ovs.ofctl("del-flows", br);
                for (const fl of flows) ovs.ofctl("add-flow", br, flowText(fl));
            }
        }
        // every requested ofport was granted (a taken number would silently renumber a port)
        for (const v of outputs.machines) assert.equal(portOf(v.host, v.qvo), String(v.ofport));
    });
    after(() => ovs?.stop());

    /** ofproto/trace of one step as verify runs it: exit code, the whole output, and its last "Datapath actions". */
    function trace(s: TraceStep): { out: string; actions: string } {
        let flow = s.flow;
        for (const [, port] of flow.matchAll(/\{port:([A-Za-z0-9_.-]+)\}/g)) flow = flow.replace(`{port:${port}}`, portOf(s.host, port));
        const r = ovs.appctl("ofproto/trace", `${s.host}-${s.bridge.replace("br-", "")}`, flow);
        assert.equal(r.code, 0, `OVS refused the trace ${s.host} ${s.bridge} ${flow}:\n${r.stderr}${r.stdout}`);
        const actions = /Datapath actions: (.*)$/m.exec(r.stdout);
        assert.ok(actions, `no datapath actions in:\n${r.stdout}`);
        return { out: r.stdout, actions: actions[1].trim() };
    }
    /** The tables (table@priority) a trace went through on its first bridge, in order (from "N. match, priority P" lines). */
    const tables = (out: string) => {
        const second = out.indexOf('bridge("', out.indexOf('bridge("') + 1);
        return [...(second < 0 ? out : out.slice(0, second)).matchAll(/^\s*(\d+)\. .*priority (\d+)$/gm)].map((m) => `${m[1]}@${m[2]}`);
    };

    it("every check verify plans has a trace OVS accepts (each built once)", () => {
        const checks = planChecks(outputs);
        const steps: TraceStep[] = [];
        for (const c of checks) {
            if (c.kind === "dhcp") steps.push(...dhcpTrace(M(c.vm)));
            else if (c.kind === "arp-spoof") steps.push(...arpTrace(M(c.vm), c.spoofedIp), ...arpTrace(M(c.vm), M(c.vm).ip));
            else if (c.kind === "ping") {
                const [f, t] = [M(c.from), M(c.to)];
                steps.push(...(f.network === t.network ? pingTrace(outputs, f, t, t.mac) : routedTrace(outputs, f, t)));
            } else if (c.kind === "routed-on-source" || c.kind === "no-gateway-arp" || c.kind === "same-host-local")
                steps.push(...routedTrace(outputs, M(c.from), M(c.to)));
        }
        assert.deepEqual([...new Set(checks.map((c) => c.kind))].sort(), [
            "arp-spoof",
            "dhcp",
            "gateway-mac-local", // reads br-int's fdb: no packet to trace
            "ip-spoof", // iptables counters: the firewall, not OpenFlow, drops the spoofed source
            "no-gateway-arp",
            "ping",
            "routed-on-source",
            "same-host-local",
        ]);
        assert.ok(steps.length >= 40, `only ${steps.length} steps`);
        for (const s of steps) trace(s);
    });

    it("DHCP: a DISCOVER from a VM passes tables 24/25 to 60 and is switched (not dropped)", () => {
        const t = trace(dhcpTrace(M("x"))[0]);
        assert.deepEqual(tables(t.out), ["0@9", "25@2", "60@3"]);
        assert.notEqual(t.actions, "drop");
    });

    it("ARP from a spoofed IP is dropped in table 24; the VM's own ARP passes 24, then 25's MAC check, then 60", () => {
        const x = M("x");
        const spoofed = trace(arpTrace(x, "192.168.10.254")[0]);
        assert.deepEqual(tables(spoofed.out), ["0@10", "24@0"]);
        assert.equal(spoofed.actions, "drop");
        const own = trace(arpTrace(x, x.ip)[0]);
        assert.deepEqual(tables(own.out), ["0@10", "24@2", "25@2", "60@3"]);
        assert.notEqual(own.actions, "drop");
    });

    it("the VM's own IP from a spoofed MAC is dropped in table 25 (ARP and IP alike)", () => {
        const x = M("x");
        const arp = trace({
            host: "a",
            bridge: "br-int",
            flow: `in_port=${x.ofport},arp,arp_op=2,dl_src=fa:16:3e:66:66:66,dl_dst=ff:ff:ff:ff:ff:ff,arp_sha=fa:16:3e:66:66:66,arp_spa=${x.ip},arp_tpa=${x.ip}`,
        });
        assert.deepEqual(tables(arp.out), ["0@10", "24@2", "25@0"]);
        assert.equal(arp.actions, "drop");
        const ip = trace({
            host: "a",
            bridge: "br-int",
            flow: `in_port=${x.ofport},icmp,dl_src=fa:16:3e:66:66:66,dl_dst=${M("v").mac},nw_src=${x.ip},nw_dst=${M("v").ip},icmp_type=8`,
        });
        assert.deepEqual(tables(ip.out), ["0@9", "25@0"]);
        assert.equal(ip.actions, "drop");
    });

    it("L2 across the tunnel: VNI 0x813 on the wire, delivered on VLAN 1 of the other host", () => {
        const [x, y] = [M("x"), M("y")];
        const steps = pingTrace(outputs, x, y, y.mac);
        assert.deepEqual(
            steps.map((s) => `${s.host}/${s.bridge}`),
            ["a/br-int", "a/br-tun", "b/br-tun", "b/br-int"],
        );
        const onTun = trace(steps[1]);
        // unknown unicast on br-tun: table 2 → 20 (default: flood) → 22: strip the VLAN, VNI 0x813, out of the tunnel
        assert.match(onTun.out, /^\s*22\. dl_vlan=1, priority 32768\n\s*pop_vlan\n\s*set_field:0x813->tun_id\n\s*output:2$/m);
        const arriving = trace(steps[2]);
        assert.match(
            arriving.out,
            /^\s*4\. tun_id=0x813, priority 1\n\s*push_vlan:0x8100\n\s*set_field:4097->vlan_vid\n\s*resubmit\(,9\)$/m,
            "VNI 0x813 → VLAN 1",
        );
        assert.match(arriving.out, /^10\. priority 1\n\s*learn\(table=20,/m, "a VM's MAC from a tunnel is learnt");
    });

    it("routed across the tunnel: the source host's DVR MAC is not learnt, and br-int hands it to the VM from the gateway MAC", () => {
        const [x, w] = [M("x"), M("w")];
        const steps = routedTrace(outputs, x, w);
        assert.deepEqual(
            steps.map((s) => `${s.host}/${s.bridge}`),
            ["a/br-int", "a/br-int", "b/br-tun", "b/br-int"],
        );
        const tun = trace(steps[2]);
        // table 0 from the tunnel → 4 (VNI 0x814 → VLAN 2) → 9: DVR MAC of a at priority 1, out to br-int unlearnt
        assert.match(tun.out, /^\s*9\. dl_src=fa:16:3f:00:00:01, priority 1$/m);
        assert.doesNotMatch(tun.out, /^\s*10\. /m, "a DVR MAC must not reach the learning table");
        const int = trace(steps[3]);
        assert.deepEqual(tables(int.out), ["0@2", "1@4"]);
        assert.match(int.out, /^\s*1\. dl_vlan=2,dl_dst=fa:16:3e:00:00:14, priority 4\n\s*pop_vlan\n\s*set_field:fa:16:3e:d7:eb:e3->eth_src\n\s*output:7925$/m);
    });

    it("the router's own frames leave with this host's DVR MAC; the gateway MAC arriving from a tunnel is dropped", () => {
        const out = trace({
            host: "a",
            bridge: "br-tun",
            flow: `in_port={port:patch-int},dl_vlan=2,dl_src=${GW2},dl_dst=${M("w").mac},icmp,nw_src=192.168.10.11,nw_dst=192.168.20.14,icmp_type=8`,
        });
        assert.match(out.out, /^\s*1\. dl_vlan=2,dl_src=fa:16:3e:d7:eb:e3, priority 1$/m);
        assert.match(out.out, /priority 1\n\s*set_field:fa:16:3f:00:00:01->eth_src\n\s*resubmit\(,2\)$/m);
        const leak = trace({
            host: "b",
            bridge: "br-tun",
            flow: `in_port={port:vxlan-0a000001},tun_id=0x814,dl_src=${GW2},dl_dst=${M("w").mac},icmp,nw_src=192.168.10.11,nw_dst=192.168.20.14,icmp_type=8`,
        });
        assert.match(leak.out, /^\s*9\. dl_src=fa:16:3e:d7:eb:e3, priority 2$/m);
        assert.equal(leak.actions, "drop");
    });
});
