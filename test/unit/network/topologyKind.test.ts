import { strict as assert } from "assert";
import { parseTopology, resolve } from "../../../provider/network/topology";

// A VM's kind: libvirt (default, a domain) or netns (a namespace guest with the same port wiring).
const topology = (vm: object) => ({
    hosts: [{ name: "h1", address: "10.0.0.1", role: "network" }],
    networks: [{ name: "n1", cidr: "192.168.10.0/24", vni: 1, vlan: 1 }],
    vms: [{ id: "a", host: "h1", network: "n1", mac: "fa:16:3e:00:00:01", ip: "192.168.10.5", ...vm }],
    domainPrefix: "x-",
});

describe("DVR topology: VM kinds", () => {
    it("defaults to libvirt and resolves a netns guest with the same device names", () => {
        assert.equal(resolve(parseTopology(topology({}))).vms[0].kind, "libvirt");
        const vm = resolve(parseTopology(topology({ kind: "netns" }))).vms[0];
        assert.deepEqual([vm.kind, vm.domain, vm.tap, vm.qbr, vm.qvo], ["netns", "x-a", "tap-a", "qbr-a", "qvo-a"]);
    });

    it("refuses an unknown kind and memory for a namespace, naming the key", () => {
        assert.throws(() => parseTopology(topology({ kind: "docker" })), /dvrlab:topology\.vms\[0\]\.kind: /);
        assert.throws(() => parseTopology(topology({ kind: "netns", memoryMiB: 128 })), /dvrlab:topology\.vms\[0\]\.memoryMiB: only a libvirt VM has memory/);
    });
});
