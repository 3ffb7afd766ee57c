import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

// DvrNetwork as a user program declares it, under pulumi's mocks: namespace guests (kind: netns)
// plugged like VMs, no image, and the outputs verify reads.
describe("DvrNetwork with namespace guests (mocked engine)", function () {
    this.timeout(30_000);
    const created: { type: string; name: string; inputs: any }[] = [];
    const of = (type: string) => created.filter((c) => c.type.endsWith(type));
    let machines: any[];
    let libvirtError: Error | undefined;

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({ type: args.type, name: args.name, inputs: args.inputs });
                    const extra = args.type.endsWith("dvrlab:OvsPort") ? { ofport: args.inputs.ofportRequest ?? 7 } : {};
                    return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
                },
                call: () => ({}),
            },
            "user",
            "unit",
        );
        const { DvrNetwork } = await import("../../../provider");
        const topology = {
            hosts: [
                { name: "host-a", address: "10.9.1.1", role: "network" as const },
                { name: "host-b", address: "10.9.1.2" },
            ],
            networks: [
                { name: "blue", cidr: "192.168.110.0/24", vni: 0x1b1, vlan: 11 },
                { name: "green", cidr: "192.168.120.0/24", vni: 0x1b2, vlan: 12 },
                { name: "red", cidr: "192.168.130.0/24", vni: 0x1b3, vlan: 13 },
            ],
            routers: [{ id: "rt", networks: ["blue", "green"] }],
            securityGroups: { ping: { ingress: [{ protocol: "icmp" as const }] } },
            vms: [
                { id: "ga", kind: "netns" as const, host: "host-a", network: "blue", mac: "fa:16:3e:11:00:0a", ip: "192.168.110.10", securityGroup: "ping" },
                { id: "gr", kind: "netns" as const, host: "host-b", network: "red", mac: "fa:16:3e:13:00:0b", ip: "192.168.130.20" },
            ],
            domainPrefix: "ex-",
        };
        const net = new DvrNetwork("n", { topology });
        machines = await new Promise((r) => net.machines.apply(r));
        try {
            new DvrNetwork("m", {
                topology: { ...topology, vms: [{ id: "vm", host: "host-a", network: "blue", mac: "fa:16:3e:11:00:0c", ip: "192.168.110.12" }] },
            });
        } catch (e: any) {
            libvirtError = e;
        }
    });

    it("plugs a netns guest like a VM: tap in its qbr, static MAC and address, the gateway only on a routed network", () => {
        const guests = of("dvrlab:NetnsGuest")
            .map((g) => g.inputs)
            .sort((x, y) => x.name.localeCompare(y.name));
        assert.deepEqual(
            guests.map((g) => [g.connection.host, g.name, g.tap, g.bridge, g.mac, g.address, g.gateway]),
            [
                ["10.9.1.1", "ex-ga", "tap-ga", "qbr-ga", "fa:16:3e:11:00:0a", "192.168.110.10/24", "192.168.110.1"],
                ["10.9.1.2", "ex-gr", "tap-gr", "qbr-gr", "fa:16:3e:13:00:0b", "192.168.130.20/24", undefined],
            ],
        );
        assert.deepEqual(
            of("dvrlab:LinuxBridge")
                .map((b) => b.inputs.name)
                .sort(),
            ["qbr-ga", "qbr-gr"],
        );
        assert.deepEqual(
            of("dvrlab:SecurityGroup")
                .map((s) => [s.inputs.tap, s.inputs.ip, s.inputs.mac, s.inputs.ingress, s.inputs.egress])
                .sort(),
            [
                ["tap-ga", "192.168.110.10", "fa:16:3e:11:00:0a", [{ protocol: "icmp", remoteCidr: "0.0.0.0/0" }], undefined],
                // gr has no group: Neutron's default, ingress from the default group's members (gr itself);
                // egress unset in both: the SecurityGroup's default (all)
                ["tap-gr", "192.168.130.20", "fa:16:3e:13:00:0b", [{ protocol: "any", remoteCidr: "192.168.130.20/32" }], undefined],
            ],
        );
        assert.equal(of("dvrlab:FlowEntry").filter((f) => /^g[ar]-(arp|mac)-spoof-allow$/.test(f.name)).length, 4);
    });

    it("needs no guest image and no domain for netns guests", () => {
        assert.equal(of("dvrlab:LibvirtDomain").length, 0);
        assert.equal(of("dvrlab:HostFile").length, 0);
        assert.equal(of("dvrlab:stack:GuestImage").length, 0);
    });

    it("outputs each guest's namespace for checks", () => {
        assert.deepEqual(
            machines.map((m) => [m.id, m.kind, m.namespace, m.host, m.ip, m.channelSocket]),
            [
                ["ga", "netns", "ex-ga", "host-a", "192.168.110.10", undefined],
                ["gr", "netns", "ex-gr", "host-b", "192.168.130.20", undefined],
            ],
        );
    });

    it("refuses libvirt VMs without a guest image, naming the config key", () => {
        assert.match(String(libvirtError?.message), /^dvrlab:topology\.vms: libvirt VMs need a guest image: set dvrlab:topology\.guestManifest/);
    });
});
