import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseTopology, resolve } from "../../../stacks/dvr/topology";

// The dev stack's own config, read as the program reads it.
function devTopology(): unknown {
    const text = fs.readFileSync(path.join(__dirname, "../../../Pulumi.dev.yaml"), "utf8");
    const yaml = require("js-yaml");
    return yaml.load(text).config["dvrlab:topology"];
}

describe("DVR topology", () => {
    it("parses the dev stack's config and resolves one qbr per VM on its host", () => {
        const t = parseTopology(devTopology());
        const r = resolve(t);
        assert.deepEqual(
            r.bridges.map((b) => [b.resourceName, b.connection.host, b.name]),
            [
                ["server-64-qbr-cirros", "172.30.124.64", "qbr-cirros"],
                ["server-233-qbr-vm1", "172.30.124.233", "qbr-vm1"],
            ],
        );
    });

    it("names the config key of every problem", () => {
        const bad = {
            hosts: [{ name: "h1", address: "10.0.0.1;reboot" }],
            vms: [
                { id: "cirros-is-too-long", host: "h1", mac: "fa:16:3e:ff:aa:6", ip: "192.168.10.300" },
                { id: "b", host: "nowhere", mac: "fa:16:3e:ff:aa:67", ip: "192.168.10.3" },
            ],
        };
        assert.throws(
            () => parseTopology(bad),
            (e: any) => {
                for (const k of ["dvrlab:topology.hosts[0].address", "dvrlab:topology.vms[0].id", "dvrlab:topology.vms[0].mac", "dvrlab:topology.vms[0].ip", "dvrlab:topology.vms[1].host: unknown host nowhere"]) {
                    assert.ok(e.message.includes(k), `missing ${k} in:\n${e.message}`);
                }
                return true;
            },
        );
    });
});
