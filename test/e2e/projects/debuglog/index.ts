import * as pulumi from "@pulumi/pulumi";
import { HostFile } from "../../../../provider";

// One small file uploaded to a host: a handful of commands, each of which `up --debug` should show.
const cfg = new pulumi.Config("test");
new HostFile("note", {
    connection: { host: cfg.require("host"), port: cfg.requireNumber("port"), user: "root" },
    path: cfg.require("path"),
    source: cfg.require("source"),
    sha256: cfg.require("sha256"),
});
