// The DVR stack: the seed's network on the hosts named in config (the local lab by default).
import * as pulumi from "@pulumi/pulumi";
import { LinuxBridge } from "../../provider";
import { parseTopology, resolve } from "./topology";

const config = new pulumi.Config("dvrlab");
const topology = parseTopology(config.requireObject("topology"));
const plan = resolve(topology);

const bridges = plan.bridges.map(
    (b) =>
        new LinuxBridge(b.resourceName, {
            connection: b.connection,
            name: b.name,
            stp: false,
            forwardDelay: 0,
            multicastSnooping: false,
        }),
);

export const linuxBridges = bridges.map((b) => b.name);
