import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

// DvrNetwork's preflight under pulumi's mocks: one HostPreflight per host, checking what the plan
// puts there, and every other resource of the network waiting for all of them.
describe("DvrNetwork preflight (mocked engine)", function () {
    this.timeout(30_000);
    const created: { type: string; name: string; inputs: any }[] = [];
    const deps = new Map<string, string[]>();

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    created.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: { ...args.inputs, ...(args.type.endsWith("dvrlab:OvsPort") ? { ofport: 7 } : {}) } };
                },
                call: () => ({}),
            },
            "user",
            "unit",
        );
        // The component's own transformation runs after its children's (theirs first, then their
        // parents'): it sees each resource's options as DvrNetwork made them.
        const capture: pulumi.ResourceTransformation = (r) => {
            const on = ([] as any[]).concat(r.opts.dependsOn ?? []);
            deps.set(
                r.name,
                on.map((d: any) => d.__name ?? "?"),
            );
            return undefined;
        };
        const { DvrNetwork } = await import("../../../provider");
        const net = new DvrNetwork(
            "n",
            {
                topology: {
                    hosts: [
                        { name: "host-a", address: "10.9.1.1", role: "network" },
                        { name: "host-b", address: "10.9.1.2", tunnelIp: "10.9.2.2", adopt: ["br-int"] },
                        { name: "host-c", address: "10.9.1.3", bridges: { int: "dvr-int", tun: "dvr-tun" }, adopt: ["dvr-tun"] },
                    ],
                    networks: [{ name: "blue", cidr: "192.168.110.0/24", vni: 0x1b1, vlan: 11 }],
                    vms: [
                        { id: "ga", kind: "netns", host: "host-b", network: "blue", mac: "fa:16:3e:11:00:0a", ip: "192.168.110.10" },
                        { id: "gc", kind: "netns", host: "host-c", network: "blue", mac: "fa:16:3e:11:00:0c", ip: "192.168.110.12" },
                    ],
                },
            },
            { transformations: [capture] },
        );
        await new Promise((r) => net.machines.apply(r));
    });

    it("checks on each host what the plan puts there: OVS everywhere, DHCP on the network host, firewall where VM ports are", () => {
        const pre = created.filter((c) => c.type.endsWith("dvrlab:HostPreflight")).map((c) => ({ name: c.name, ...c.inputs }));
        assert.deepEqual(
            pre.map(({ name, needs, tunnelIp, mtu, connection }) => ({ name, needs, tunnelIp, mtu, host: connection.host })),
            [
                {
                    name: "host-a-preflight",
                    needs: { ovs: true, iptables: false, dnsmasq: true, libvirt: false },
                    tunnelIp: "10.9.1.1",
                    mtu: 1450,
                    host: "10.9.1.1",
                },
                {
                    name: "host-b-preflight",
                    needs: { ovs: true, iptables: true, dnsmasq: false, libvirt: false },
                    tunnelIp: "10.9.2.2",
                    mtu: 1450,
                    host: "10.9.1.2",
                },
                {
                    name: "host-c-preflight",
                    needs: { ovs: true, iptables: true, dnsmasq: false, libvirt: false },
                    tunnelIp: "10.9.1.3",
                    mtu: 1450,
                    host: "10.9.1.3",
                },
            ],
        );
    });

    it("adopts only the bridges a host lists (an unlisted existing bridge is refused on the host)", () => {
        const bridges = created
            .filter((c) => c.type.endsWith("dvrlab:OvsBridge"))
            .map((c) => [c.name, c.inputs.adopt])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        assert.deepEqual(bridges, [
            ["host-a-br-int", undefined],
            ["host-a-br-tun", undefined],
            ["host-b-br-int", true],
            ["host-b-br-tun", undefined],
            ["host-c-br-int", undefined],
            ["host-c-br-tun", true],
        ]);
        // a patch port on an adopted bridge may be the host's own: adopted with its bridge
        const patches = created
            .filter((c) => c.type.endsWith("dvrlab:OvsPort") && c.inputs.type === "patch")
            .map((c) => [c.name, c.inputs.adopt])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
        assert.deepEqual(patches, [
            ["host-a-patch-int", undefined],
            ["host-a-patch-tun", undefined],
            ["host-b-patch-int", undefined],
            ["host-b-patch-tun", true],
            ["host-c-patch-int", true],
            ["host-c-patch-tun", undefined],
        ]);
    });

    it("each preflight checks that host's bridges, adopted or not, before anything changes", () => {
        const pre = created.filter((c) => c.type.endsWith("dvrlab:HostPreflight")).map((c) => [c.name, c.inputs.bridges]);
        assert.deepEqual(pre, [
            [
                "host-a-preflight",
                [
                    { name: "br-int", adopt: false },
                    { name: "br-tun", adopt: false },
                ],
            ],
            [
                "host-b-preflight",
                [
                    { name: "br-int", adopt: true },
                    { name: "br-tun", adopt: false },
                ],
            ],
            [
                "host-c-preflight",
                [
                    { name: "dvr-int", adopt: false },
                    { name: "dvr-tun", adopt: true },
                ],
            ],
        ]);
    });

    it("a host's own bridge names are used by every resource on it: bridges, patch ports, VM and tunnel ports, flows", () => {
        const onC = created.filter((c) => c.inputs?.connection?.host === "10.9.1.3");
        const kinds = (suffix: string) => onC.filter((c) => c.type.endsWith(suffix));
        assert.deepEqual(
            kinds("dvrlab:OvsBridge").map((c) => [c.name, c.inputs.name]),
            [
                ["host-c-br-int", "dvr-int"],
                ["host-c-br-tun", "dvr-tun"],
            ],
        );
        assert.deepEqual(
            kinds("dvrlab:OvsPort")
                .map((c) => `${c.inputs.bridge} ${c.inputs.name}`)
                .sort(),
            ["dvr-int patch-tun", "dvr-int qvo-gc", "dvr-tun patch-int", "dvr-tun vxlan-0a090101", "dvr-tun vxlan-0a090202"],
        );
        const flowBridges = [...new Set(kinds("dvrlab:FlowEntry").map((c) => c.inputs.bridge))].sort();
        assert.deepEqual(flowBridges, ["dvr-int", "dvr-tun"]);
        // and no other host's resource names them
        assert.deepEqual(
            created.filter((c) => c.inputs?.connection?.host !== "10.9.1.3" && /dvr-(int|tun)/.test(JSON.stringify(c.inputs ?? {}))).map((c) => c.name),
            [],
        );
    });

    it("every other resource waits for every host's preflight; the preflights wait for nothing", () => {
        const all = ["host-a-preflight", "host-b-preflight", "host-c-preflight"];
        const others = created.filter((c) => !c.type.endsWith("dvrlab:HostPreflight") && c.type !== "dvrlab:index:DvrNetwork");
        assert.ok(others.length > 30, `the network's resources (${others.length})`);
        for (const c of others) for (const p of all) assert.ok(deps.get(c.name)?.includes(p), `${c.name} waits for ${p}`);
        for (const p of all) assert.deepEqual(deps.get(p), []);
    });
});
