import * as pulumi from "@pulumi/pulumi";
import { DhcpLease, DhcpServer, LibvirtDomain, LinuxBridge, OvsBridge, OvsPort, VethPair } from "../../../../provider";

// The seed on one host: VM → tap → qbr → qvb=qvo → br-int (tag 1) ← tap of the DHCP agent's dnsmasq.
// Names carry a test suffix: the lab's hosts share one machine.
const cfg = new pulumi.Config("test");
const connection = { host: cfg.require("host") };
const s = cfg.require("suffix");

const brInt = new OvsBridge("br-int", { connection, name: `dvrlt-be${s}`, failMode: "standalone" });
const qbr = new LinuxBridge("qbr", { connection, name: `dvrlt-qbr${s}` });
const veth = new VethPair("qvb-qvo", { connection, name: `dvrlt-qvb${s}`, peer: `dvrlt-qvo${s}`, nameEnd: { promisc: true, master: qbr.name } });
new OvsPort("qvo", { connection, bridge: brInt.name, name: veth.peer, tag: 1 });

const dhcp = new DhcpServer("dhcp", { connection, network: `dvrlt-e${s}`, bridge: brInt.name, tag: 1, address: "192.168.10.2/24" });
new DhcpLease("cirros", { connection, network: dhcp.network, serverAddress: dhcp.address, mac: "fa:16:3e:ff:aa:66", hostname: "cirros", ip: "192.168.10.168" });

const vm = new LibvirtDomain("cirros", {
    connection,
    name: `dvrlt-e${s}`,
    memoryMiB: cfg.requireNumber("memoryMiB"),
    boot: { kernel: cfg.require("kernel"), initrd: cfg.require("initrd"), cmdline: cfg.require("cmdline") },
    disk: { base: cfg.require("base") },
    // qbr.name: the bridge exists before the domain starts (the seed's order)
    interfaces: [{ bridge: qbr.name, tap: `dvrlt-tap${s}`, mac: "fa:16:3e:ff:aa:66" }],
});

export const channelSocket = vm.channelSocketPath;
export const diskPath = vm.diskPath;
export const dnsmasqLog = dhcp.logFile;
export const dhcpPort = dhcp.portName;
