// A two-host stack for the graph tests: one network, one VM on host b, DHCP on host a; on b the
// tunnel port back to a was deleted by hand and a port nobody made sits on br-int.
import type { GraphInput } from "../../../provider/graph/dot";
import type { HostLive, StateObject } from "../../../provider/graph/model";

export const state: StateObject[] = [
    ...["a", "b"].flatMap((h): StateObject[] => [
        { kind: "bridge", host: h, name: "br-int" },
        { kind: "bridge", host: h, name: "br-tun" },
        { kind: "port", host: h, bridge: "br-int", name: "patch-tun", type: "patch" },
        { kind: "port", host: h, bridge: "br-tun", name: "patch-int", type: "patch" },
    ]),
    { kind: "port", host: "a", bridge: "br-tun", name: "vxlan-0a000002", type: "vxlan", remoteIp: "10.0.0.2" },
    { kind: "port", host: "b", bridge: "br-tun", name: "vxlan-0a000001", type: "vxlan", remoteIp: "10.0.0.1" },
    { kind: "netns", host: "a", name: "qdhcp-net1", role: "dhcp" },
    { kind: "port", host: "a", bridge: "br-int", name: "tapnet1", type: "internal", tag: 1, namespace: "qdhcp-net1", address: "192.168.10.2/24" },
    { kind: "linuxBridge", host: "b", name: "qbr-vm1" },
    { kind: "veth", host: "b", name: "qvb-vm1", peer: "qvo-vm1", master: "qbr-vm1" },
    { kind: "port", host: "b", bridge: "br-int", name: "qvo-vm1", type: "system", tag: 1 },
    { kind: "netns", host: "b", name: "g-vm1", role: "guest" },
];

const port = (name: string, type: string, ofport: number, extra: object = {}) => ({ name, type, ofport, options: {}, ...extra });
export const live: Record<string, HostLive> = {
    a: {
        bridges: [
            { name: "br-int", ports: [port("br-int", "internal", 65534), port("patch-tun", "patch", 1), port("tapnet1", "internal", 2, { tag: 1 })] },
            {
                name: "br-tun",
                ports: [port("patch-int", "patch", 1), port("vxlan-0a000002", "vxlan", 2, { options: { key: "flow", remote_ip: "10.0.0.2" } })],
            },
        ],
        links: [],
        netns: ["qdhcp-net1"],
        flows: { "br-int": ["table=0, priority=0 actions=drop"], "br-tun": [] },
    },
    b: {
        bridges: [
            { name: "br-int", ports: [port("patch-tun", "patch", 1), port("qvo-vm1", "system", 5, { tag: 1 }), port("stray", "internal", 9)] },
            { name: "br-tun", ports: [port("patch-int", "patch", 1)] },
        ],
        links: [
            { name: "tap-vm1", master: "qbr-vm1", up: true },
            { name: "qbr-vm1", up: true },
            { name: "qvb-vm1", master: "qbr-vm1", up: true },
            { name: "qvo-vm1", up: true },
        ],
        netns: ["g-vm1"],
        flows: {},
    },
};

export const input: GraphInput = {
    stack: "t",
    outputs: {
        hosts: [
            { name: "a", host: "10.0.0.1", tunnelIp: "10.0.0.1", role: "network" },
            { name: "b", host: "10.0.0.2", tunnelIp: "10.0.0.2", role: "compute" },
        ],
        networks: [{ name: "net1", cidr: "192.168.10.0/24", vni: 0x813, vlan: 1, dhcpIp: "192.168.10.2", gateway: "192.168.10.1" }],
        machines: [
            {
                id: "vm1",
                host: "b",
                network: "net1",
                ip: "192.168.10.5",
                mac: "fa:16:3e:00:00:05",
                tap: "tap-vm1",
                qvo: "qvo-vm1",
                kind: "netns",
                namespace: "g-vm1",
            },
        ],
        router: { routers: [] },
    },
    state,
    live,
};
