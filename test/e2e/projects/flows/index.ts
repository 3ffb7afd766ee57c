import * as pulumi from "@pulumi/pulumi";
import { brInt, brTun, FlowEntry, flowArgs, OvsBridge, OvsPort } from "../../../../provider";

// The seed's Case B on one host: br-int and br-tun joined by patch ports (patch-int is OpenFlow
// port 1 on br-tun), VXLAN ports 2 and 3 to the other two hosts, the seed's br-tun pipeline, and
// on br-int NORMAL switching plus ARP anti-spoofing for one VM port.
const cfg = new pulumi.Config("test");
const connection = { host: cfg.require("host") };
const p = cfg.require("prefix"); // ≤ 10 chars: names below stay within IFNAMSIZ
const peers = cfg.requireObject<string[]>("peers");
const protocols: ("OpenFlow10" | "OpenFlow13" | "OpenFlow14")[] = ["OpenFlow10", "OpenFlow13", "OpenFlow14"]; // 1.4 for add-flows --bundle

const int = new OvsBridge("br-int", { connection, name: `${p}i`, datapathType: "netdev", failMode: "secure", protocols });
const tun = new OvsBridge("br-tun", { connection, name: `${p}t`, datapathType: "netdev", failMode: "secure", protocols });

new OvsPort("patch-tun", { connection, bridge: int.name, name: `${p}pt`, type: "patch", options: { peer: `${p}pi` } });
new OvsPort("patch-int", { connection, bridge: tun.name, name: `${p}pi`, type: "patch", ofportRequest: 1, options: { peer: `${p}pt` } });
peers.forEach(
    (ip, k) =>
        new OvsPort(`vxlan-${k + 2}`, {
            connection,
            bridge: tun.name,
            name: `${p}v${k + 2}`,
            type: "vxlan",
            ofportRequest: k + 2,
            options: { remoteIp: ip, key: "flow" },
        }),
);
const qvo = new OvsPort("qvo", { connection, bridge: int.name, name: `${p}q`, type: "internal", tag: 1 });

for (const [name, spec] of Object.entries(brTun.caseB({ patchPort: 1, tunPorts: peers.map((_, k) => k + 2), vlan: 1, vni: 0x813 }))) {
    new FlowEntry(`tun-${name}`, { connection, bridge: tun.name, ...spec });
}
new FlowEntry("int-normal", { connection, bridge: int.name, ...brInt.normal() });
// The VM port's OpenFlow number is known only once OVS assigned it (the seed's `ovs-vsctl get Interface … ofport`).
const arp = qvo.ofport.apply((ofport) => brInt.arpSpoofCheck({ ofport, ip: "192.168.10.222" }));
new FlowEntry("int-arp-redirect", { connection, bridge: int.name, ...flowArgs(arp.redirect) });
new FlowEntry("int-arp-allow", { connection, bridge: int.name, ...flowArgs(arp.allow) });

export const qvoOfport = qvo.ofport;
