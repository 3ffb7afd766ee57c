import * as pulumi from "@pulumi/pulumi";
import { brTun, FlowEntry } from "../../../provider";

// N floods-to-tunnel, one per local VLAN (the seed's table-22 flow for VLANs 1…N).
const cfg = new pulumi.Config("bench");
const connection = { host: cfg.require("host") };
const bridge = cfg.require("bridge");
const count = cfg.requireNumber("count");
for (let i = 1; i <= count; i++) {
    new FlowEntry(`flood-${i}`, { connection, bridge, ...brTun.floodToTun({ vlan: i, vni: 0x1000 + i, ports: [2, 3] }) });
}
