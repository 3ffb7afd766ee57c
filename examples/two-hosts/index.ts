// Two hosts joined by VXLAN, two networks routed by a distributed router (Neutron DVR), and one
// namespace guest on each: a's pings to b are routed on a's host and cross the tunnel.
import * as pulumi from "@pulumi/pulumi";
import { DvrNetwork } from "dvrlab";

const config = new pulumi.Config();
const [addressA, addressB] = config.requireObject<[string, string]>("addresses");

const net = new DvrNetwork("two-hosts", {
    topology: {
        hosts: [
            { name: "host-a", address: addressA, role: "network" }, // runs the DHCP agent
            { name: "host-b", address: addressB },
        ],
        networks: [
            { name: "blue", cidr: "192.168.110.0/24", vni: 0x1b1, vlan: 11 },
            { name: "green", cidr: "192.168.120.0/24", vni: 0x1b2, vlan: 12 },
        ],
        routers: [{ id: "rt", networks: ["blue", "green"] }],
        securityGroups: { ping: { ingress: [{ protocol: "icmp" }] } },
        // Namespace guests: a static MAC and address, no image to boot.
        vms: [
            { id: "ga", kind: "netns", host: "host-a", network: "blue", mac: "fa:16:3e:11:00:0a", ip: "192.168.110.10", securityGroup: "ping" },
            { id: "gb", kind: "netns", host: "host-b", network: "green", mac: "fa:16:3e:12:00:0b", ip: "192.168.120.20", securityGroup: "ping" },
        ],
        domainPrefix: "ex-", // the guests' namespaces: ex-ga, ex-gb
    },
});

export const machines = net.machines;
export const router = net.router;
