import { strict as assert } from "assert";
import {
    driftLines,
    extraPorts,
    graphOutputsSchema,
    parseDomains,
    parseFlows,
    parseLinks,
    parseNetns,
    parseOvs,
    stateObjects,
} from "../../../provider/graph/model";
import { input, live, state } from "./fixture";

describe("graph: state and host readers", () => {
    it("parseOvs joins Bridge → Port → Interface (ofport, tag, type, options)", () => {
        // ovs-vsctl --format=json … list Bridge -- … list Port -- … list Interface, as OVS 3.1 prints it
        const text = [
            '{"data":[["br-tun",["set",[["uuid","p2"],["uuid","p3"]]]],["br-int",["uuid","p1"]]],"headings":["name","ports"]}',
            '{"data":[[["uuid","p1"],"qvo-cirros",1,["uuid","i1"]],[["uuid","p2"],"vxlan-ac1e9ee9",["set",[]],["uuid","i2"]],[["uuid","p3"],"patch-int",["set",[]],["uuid","i3"]]],"headings":["_uuid","name","tag","interfaces"]}',
            '{"data":[[["uuid","i2"],"vxlan-ac1e9ee9","vxlan",3,["map",[["key","flow"],["local_ip","172.30.158.64"],["remote_ip","172.30.158.233"]]]],[["uuid","i1"],"qvo-cirros","",16351,["map",[]]],[["uuid","i3"],"patch-int","patch",1,["map",[["peer","patch-tun"]]]]],"headings":["_uuid","name","type","ofport","options"]}',
        ].join("\n");
        assert.deepEqual(parseOvs(text), [
            { name: "br-int", ports: [{ name: "qvo-cirros", type: "system", ofport: 16351, tag: 1, options: {} }] },
            {
                name: "br-tun",
                ports: [
                    { name: "patch-int", type: "patch", ofport: 1, options: { peer: "patch-tun" } },
                    { name: "vxlan-ac1e9ee9", type: "vxlan", ofport: 3, options: { key: "flow", local_ip: "172.30.158.64", remote_ip: "172.30.158.233" } },
                ],
            },
        ]);
        assert.throws(() => parseOvs('{"data":[]}'), /expected 3 tables/);
    });

    it("parseLinks, parseNetns, parseFlows", () => {
        assert.deepEqual(
            parseLinks(
                '[{"ifindex":9,"ifname":"qvb-peer","flags":["BROADCAST","UP","LOWER_UP"],"master":"qbr-peer","link":"qvo-peer"},{"ifindex":4,"ifname":"br-int","flags":["BROADCAST"]}]',
            ),
            [
                { name: "qvb-peer", master: "qbr-peer", up: true },
                { name: "br-int", up: false },
            ],
        );
        assert.deepEqual(parseNetns('[{"name":"qrouter-r1","id":1},{"name":"graphdev-cirros","id":3}]'), ["graphdev-cirros", "qrouter-r1"]);
        assert.deepEqual(parseNetns(""), []); // ip prints nothing when there is no namespace
        assert.deepEqual(parseDomains("vm233\ncirros\n\n"), ["cirros", "vm233"]);
        assert.deepEqual(
            parseFlows(
                "NXST_FLOW reply (xid=0x4):\n cookie=0x1, table=0, priority=1,in_port=1 actions=resubmit(,1)\n cookie=0x2, table=22, priority=0 actions=drop\n",
            ),
            ["cookie=0x1, table=0, priority=1,in_port=1 actions=resubmit(,1)", "cookie=0x2, table=22, priority=0 actions=drop"],
        );
    });

    it("stateObjects: the drawn resources of a stack export, by the host in their connection", () => {
        const conn = (name: string) => ({ name, host: "10.0.0.1", port: 22, user: "root" });
        const exported = {
            deployment: {
                resources: [
                    { type: "pulumi:pulumi:Stack", urn: "s" },
                    { type: "dvrlab:stack:DvrHost", outputs: {} },
                    { type: "pulumi-nodejs:dynamic/dvrlab:OvsBridge", outputs: { connection: conn("a"), name: "br-tun" } },
                    {
                        type: "pulumi-nodejs:dynamic/dvrlab:OvsPort",
                        outputs: {
                            connection: conn("a"),
                            name: "vxlan-0a000002",
                            bridge: "br-tun",
                            type: "vxlan",
                            options: { key: "flow", remoteIp: "10.0.0.2" },
                        },
                    },
                    {
                        type: "pulumi-nodejs:dynamic/dvrlab:OvsPort",
                        outputs: { connection: conn("b"), name: "qvo-vm1", bridge: "br-int", type: "system", tag: 1 },
                    },
                    {
                        type: "pulumi-nodejs:dynamic/dvrlab:RouterPort",
                        outputs: { connection: conn("a"), name: "qr-net1", bridge: "br-int", namespace: "qrouter-r1", address: "192.168.10.1/24", tag: 1 },
                    },
                    { type: "pulumi-nodejs:dynamic/dvrlab:LinuxBridge", outputs: { connection: conn("b"), name: "qbr-vm1" } },
                    {
                        type: "pulumi-nodejs:dynamic/dvrlab:VethPair",
                        outputs: { connection: conn("b"), name: "qvb-vm1", peer: "qvo-vm1", nameEnd: { master: "qbr-vm1" } },
                    },
                    { type: "pulumi-nodejs:dynamic/dvrlab:RouterNamespace", outputs: { connection: conn("a"), name: "qrouter-r1" } },
                    { type: "pulumi-nodejs:dynamic/dvrlab:NetnsGuest", outputs: { connection: conn("b"), name: "g-vm1", tap: "tap-vm1" } },
                    {
                        type: "pulumi-nodejs:dynamic/dvrlab:DhcpServer",
                        outputs: { connection: conn("a"), namespace: "qdhcp-net1", bridge: "br-int", portName: "tapnet1", tag: 1, address: "192.168.10.2/24" },
                    },
                    { type: "pulumi-nodejs:dynamic/dvrlab:LibvirtDomain", outputs: { connection: conn("b"), name: "e2e1-cirros", tap: "tap-cirros" } },
                    { type: "pulumi-nodejs:dynamic/dvrlab:FlowEntry", outputs: { connection: conn("a"), bridge: "br-int" } },
                ],
            },
        };
        assert.deepEqual(stateObjects(exported), [
            { kind: "bridge", host: "a", name: "br-tun" },
            { kind: "port", host: "a", bridge: "br-tun", name: "vxlan-0a000002", type: "vxlan", tag: undefined, remoteIp: "10.0.0.2" },
            { kind: "port", host: "b", bridge: "br-int", name: "qvo-vm1", type: "system", tag: 1, remoteIp: undefined },
            { kind: "port", host: "a", bridge: "br-int", name: "qr-net1", type: "internal", tag: 1, namespace: "qrouter-r1", address: "192.168.10.1/24" },
            { kind: "linuxBridge", host: "b", name: "qbr-vm1" },
            { kind: "veth", host: "b", name: "qvb-vm1", peer: "qvo-vm1", master: "qbr-vm1" },
            { kind: "netns", host: "a", name: "qrouter-r1", role: "router" },
            { kind: "netns", host: "b", name: "g-vm1", role: "guest" },
            { kind: "netns", host: "a", name: "qdhcp-net1", role: "dhcp" },
            { kind: "port", host: "a", bridge: "br-int", name: "tapnet1", type: "internal", tag: 1, namespace: "qdhcp-net1", address: "192.168.10.2/24" },
            { kind: "domain", host: "b", name: "e2e1-cirros" },
        ]);
        assert.deepEqual(stateObjects({}), []);
    });

    it("extraPorts: on a bridge of ours, made by nobody in the state (the bridge's own port aside)", () => {
        assert.deepEqual(extraPorts(state, "b", live.b), [{ bridge: "br-int", port: { name: "stray", type: "internal", ofport: 9, options: {} } }]);
        assert.deepEqual(extraPorts(state, "a", live.a), []);
    });

    it("driftLines: what differs, one line each", () => {
        assert.deepEqual(driftLines(state, live), [
            "b: br-tun port vxlan-0a000001 MISSING (in the state, not on the host)",
            "b: br-int port stray not in state (on the host only)",
        ]);
        assert.deepEqual(driftLines(state, { ...live, a: { error: "timed out", bridges: [], links: [], netns: [], flows: {} } }), [
            "a: could not be read (timed out)",
            "b: br-tun port vxlan-0a000001 MISSING (in the state, not on the host)",
            "b: br-int port stray not in state (on the host only)",
        ]);
    });

    it("graphOutputsSchema: names the field a stack's outputs lack", () => {
        const r = graphOutputsSchema.safeParse({ ...input.outputs, machines: [{ id: "x" }] });
        assert.equal(r.success, false);
        assert.deepEqual(r.error!.issues.map((i) => i.path.join(".")).slice(0, 2), ["machines.0.host", "machines.0.network"]);
    });
});
