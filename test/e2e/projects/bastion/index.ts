import * as pulumi from "@pulumi/pulumi";
import { LinuxBridge } from "../../../../provider";

// One LinuxBridge per entry of test:bridges: {name, bridge, connection} (the connection as a user writes it).
const cfg = new pulumi.Config("test");
const bridges = cfg.requireObject<{ name: string; bridge: string; connection: any }[]>("bridges");
export const names = bridges.map((b) => new LinuxBridge(b.name, { connection: b.connection, name: b.bridge }).name);
