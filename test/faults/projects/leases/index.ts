import * as pulumi from "@pulumi/pulumi";
import { DhcpLease, DhcpServer, OvsBridge } from "../../../../provider";

// Leases of one network on one host. With test:server=true this stack also owns the network's
// bridge and DhcpServer; without, its leases go into another stack's server's files (by name).
const cfg = new pulumi.Config("test");
const connection = { host: cfg.require("host") };
const network = cfg.require("network");
const serverAddress = cfg.require("serverAddress");
const leases = cfg.requireObject<{ mac: string; hostname: string; ip: string }[]>("leases");

let server: DhcpServer | undefined;
if (cfg.requireBoolean("server")) {
    const bridge = new OvsBridge("bridge", { connection, name: cfg.require("bridge"), failMode: "secure" });
    server = new DhcpServer("dhcp", { connection, network, bridge: bridge.name, tag: 1, address: serverAddress });
}
// One resource per MAC (the lease's identity): changing a lease's IP or name is an update in place.
for (const l of leases) {
    new DhcpLease(`lease-${l.mac.replace(/:/g, "")}`, {
        connection,
        network: server?.network ?? network,
        serverAddress: server?.address ?? serverAddress,
        ...l,
    });
}
export const dnsmasqPid = server?.pid;
