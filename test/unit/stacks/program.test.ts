import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

// The stack program under pulumi's mocks: which resources it declares, with which inputs.
describe("DVR stack program (mocked engine)", function () {
    this.timeout(20_000);
    const created: { type: string; name: string; inputs: any }[] = [];

    before(async () => {
        const topology = {
            hosts: [
                { name: "server-233", address: "10.9.0.233", role: "network" },
                { name: "server-64", address: "10.9.0.64" },
            ],
            vms: [{ id: "cirros", host: "server-64", mac: "FA:16:3E:FF:AA:66", ip: "192.168.10.168" }],
        };
        pulumi.runtime.setAllConfig({ "dvrlab:topology": JSON.stringify(topology) });
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: () => ({}),
            },
            "dvrlab",
            "unit",
        );
        await import("../../../stacks/dvr/index");
        await new Promise((r) => setTimeout(r, 100));
    });

    it("declares the seed's qbr on the VM's host, owned by this stack", () => {
        const qbr = created.find((c) => c.type.endsWith("dvrlab:LinuxBridge"));
        assert.ok(qbr, JSON.stringify(created.map((c) => c.type)));
        assert.equal(qbr!.name, "server-64-qbr-cirros");
        assert.equal(qbr!.inputs.name, "qbr-cirros");
        assert.deepEqual(qbr!.inputs.connection, { host: "10.9.0.64", port: 22, user: "root" });
        assert.equal(qbr!.inputs.owner, "dvrlab:dvrlab/unit");
        assert.equal(qbr!.inputs.forwardDelay, 0);
    });
});
