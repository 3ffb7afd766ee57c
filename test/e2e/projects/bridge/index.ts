import * as pulumi from "@pulumi/pulumi";
import { LinuxBridge } from "../../../../provider";

const cfg = new pulumi.Config("test");
const br = new LinuxBridge("qbr", {
    connection: { host: cfg.require("host"), port: cfg.requireNumber("port"), user: "root" },
    name: cfg.require("bridgeName"),
    stp: cfg.getBoolean("stp") ?? false,
    forwardDelay: cfg.getNumber("forwardDelay") ?? 0,
    multicastSnooping: cfg.getBoolean("multicastSnooping") ?? false,
});
export const bridge = br.name;
export const snooping = br.multicastSnooping;
