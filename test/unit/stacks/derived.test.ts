import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { namespaceOf, portOf } from "../../../provider/dhcpServer/schema";
import { flowCookie, sameStack, stackCookie } from "../../../provider/flowEntry/planner";
import { dvrMac, dvrMacs, DVR_BASE_MAC } from "../../../provider/flows";
import { parseTopology, resolve, tunnelPortName, vmOfport } from "../../../provider/network/topology";

// Values derived from names that a deployment depends on staying the same: change one and every
// existing stack sees its flows, ports or MACs replaced (or, worse, mismatched with what the hosts
// hold). Every expectation is a literal, checked once by an independent implementation (Python's
// hashlib / a hand-written FNV-1a), never recomputed here by the code under test.
// A change of derivation that is wanted must change these literals, and say so in its commit.

function devPlan() {
    const text = fs.readFileSync(path.join(__dirname, "../../../Pulumi.dev.yaml"), "utf8");
    return resolve(parseTopology(require("js-yaml").load(text).config["dvrlab:topology"]));
}

describe("derived names and numbers stay stable", () => {
    it("flow cookies: 0xd7 | sha256(project/stack)[16 bits] | sha256(project/stack/name)[40 bits]", () => {
        assert.equal(stackCookie("dvrlab", "unit"), "0xd7849f0000000000");
        assert.equal(stackCookie("dvrlab", "dev"), "0xd738c00000000000");
        assert.equal(flowCookie("dvrlab", "unit", "server-64-tun-flood-net1"), "0xd7849f4e40cb8edb");
        assert.equal(flowCookie("dvrlab", "unit", "cirros-arp-spoof-allow"), "0xd7849fe40ed05c64");
        assert.equal(flowCookie("dvrlab", "dev", "flood-vlan1"), "0xd738c06c728da4d1");
        assert.equal(flowCookie("dvrlab", "dev", "learn"), "0xd738c02ae1c8fcf0");
        assert.equal(flowCookie("dvrlab", "prod", "flood-vlan1"), "0xd7371af43d9ae51b");
        assert.equal(flowCookie("dvrlab", "dev", "server-64-r1-dvr-to-cirros"), "0xd738c0c0b1a9a518");
        assert.equal(sameStack("0xd738c06c728da4d1", "0xd738c02ae1c8fcf0"), true);
        assert.equal(sameStack("0xd738c06c728da4d1", "0xd7371af43d9ae51b"), false);
        assert.equal(sameStack("0x38c06c728da4d1", "0x38c06c728da4d1"), false, "no 0xd7 tag: not dvrlab's");
    });

    it("DVR MACs: Neutron's base, then sha256(host name) (or host index + 1)", () => {
        assert.deepEqual(dvrMacs(DVR_BASE_MAC, ["server-233", "server-64", "server-68"]), {
            "server-233": "fa:16:3f:39:60:57",
            "server-64": "fa:16:3f:d2:96:61",
            "server-68": "fa:16:3f:fb:74:ed",
        });
        assert.equal(dvrMac("fa:16:3f:07:00:00", "server-64"), "fa:16:3f:07:d2:96", "a non-zero fourth octet is kept");
        assert.equal(dvrMac("FA:16:3F:00:00:00", "server-233"), "fa:16:3f:39:60:57", "the base's case does not matter");
        assert.equal(dvrMac(DVR_BASE_MAC, 65535), "fa:16:3f:01:00:00");
        assert.equal(dvrMac(DVR_BASE_MAC, 16777213), "fa:16:3f:ff:ff:fe");
        assert.equal(dvrMac(DVR_BASE_MAC, 16777214), "fa:16:3f:ff:ff:ff", "the last of 2^24 - 1 hosts");
        assert.throws(() => dvrMac(DVR_BASE_MAC, 16777215), /^Error: dvrMac: host index 16777215 is not an integer in 0\.\.16777214$/);
        assert.throws(() => dvrMac(DVR_BASE_MAC, 1.5), /host index 1\.5 is not an integer/);
        assert.throws(() => dvrMac(DVR_BASE_MAC, ""), /^Error: dvrMac: empty host name$/);
    });

    it("the dev stack: gateway MACs fa:16:3e + sha256(gateway/<network>), requested ofports 100 + FNV-1a(id) mod 60000, Neutron's device names", () => {
        const p = devPlan();
        assert.deepEqual(
            p.networks.map((n) => [n.name, n.gatewayMac, n.gateway, n.dhcpIp]),
            [
                ["net1", "fa:16:3e:54:88:14", "192.168.10.1", "192.168.10.2"],
                ["net2", "fa:16:3e:d7:eb:e3", "192.168.20.1", "192.168.20.2"],
            ],
        );
        assert.deepEqual(p.dvrMacs, { "server-233": "fa:16:3f:39:60:57", "server-64": "fa:16:3f:d2:96:61", "server-68": "fa:16:3f:fb:74:ed" });
        assert.deepEqual(
            p.vms.map((v) => [v.id, v.domain, v.ofport, v.qbr, v.qvb, v.qvo, v.tap]),
            [
                ["cirros", "cirros", 16351, "qbr-cirros", "qvb-cirros", "qvo-cirros", "tap-cirros"],
                ["peer", "peer", 8013, "qbr-peer", "qvb-peer", "qvo-peer", "tap-peer"],
                ["vm233", "vm233", 21740, "qbr-vm233", "qvb-vm233", "qvo-vm233", "tap-vm233"],
                ["locked", "locked", 4919, "qbr-locked", "qvb-locked", "qvo-locked", "tap-locked"],
                ["web", "web", 7925, "qbr-web", "qvb-web", "qvo-web", "tap-web"],
            ],
        );
        assert.deepEqual(
            p.tunnels.map((t) => `${t.host}:${t.port}:${t.localIp}>${t.remoteIp}`),
            [
                "server-233:vxlan-ac1e7c40:172.30.124.233>172.30.124.64",
                "server-233:vxlan-ac1e7c44:172.30.124.233>172.30.124.68",
                "server-64:vxlan-ac1e7ce9:172.30.124.64>172.30.124.233",
                "server-64:vxlan-ac1e7c44:172.30.124.64>172.30.124.68",
                "server-68:vxlan-ac1e7ce9:172.30.124.68>172.30.124.233",
                "server-68:vxlan-ac1e7c40:172.30.124.68>172.30.124.64",
            ],
        );
        assert.deepEqual(
            p.routers.map((r) => r.namespace),
            ["qrouter-r1"],
        );
    });

    it("vmOfport: FNV-1a 32-bit of the id's bytes, 100 + h mod 60000", () => {
        assert.equal(vmOfport(""), 16361, "0x811c9dc5 mod 60000 + 100: the offset basis alone");
        assert.equal(vmOfport("a"), 42320);
        assert.equal(vmOfport("b"), 35177);
        assert.equal(vmOfport("x"), 22795);
        assert.equal(vmOfport("vm1"), 27403);
        assert.equal(vmOfport("vm2"), 5022);
        assert.equal(vmOfport("a-very-long1"), 26495);
    });

    it("VXLAN ports vxlan-<remote IP as 8 hex digits>; DHCP's qdhcp-<network> and tap<network> (≤ 14)", () => {
        assert.equal(tunnelPortName("172.30.124.233"), "vxlan-ac1e7ce9");
        assert.equal(tunnelPortName("255.0.0.1"), "vxlan-ff000001");
        assert.equal(tunnelPortName("0.0.0.1"), "vxlan-00000001");
        assert.equal(namespaceOf("net1"), "qdhcp-net1");
        assert.equal(portOf({ network: "net1" }), "tapnet1");
        assert.equal(portOf({ network: "a-network-name-of-20" }), "tapa-network-n");
        assert.equal(portOf({ network: "net1", port: "ns-1" }), "ns-1");
    });
});
