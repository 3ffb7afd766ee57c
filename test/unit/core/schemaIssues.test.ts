import { strict as assert } from "assert";
import { z } from "zod";
import { ruleSchema } from "../../../provider/securityGroup/schema";
import { cookie, flowMatch } from "../../../provider/flowEntry/schema";
import { ovsPortSchema } from "../../../provider/ovsPort/schema";
import { hostPath, libvirtDomainSchema } from "../../../provider/libvirtDomain/schema";
import { dhcpLeaseSchema } from "../../../provider/dhcpLease/schema";
import { dhcpServerSchema, serverCidr } from "../../../provider/dhcpServer/schema";

// Bad input is refused at check time with an issue naming the field: each issue as "code path: message".
const issues = (s: z.ZodType, v: unknown) => {
    const r = s.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => `${i.code} ${i.path.join(".")}: ${i.message}`);
};

describe("schema issues, word for word", () => {
    it("security group port ranges: format first, then 1 ≤ from ≤ to ≤ 65535", () => {
        // the union's string branch says what is wrong with a range (the number branch only that it is no number)
        const range = (p: string) => {
            const r = ruleSchema.safeParse({ protocol: "tcp", port: p });
            if (r.success) return String(r.data.port);
            const u = r.error.issues[0] as any;
            return `${u.code} ${u.path.join(".")}: ${(u.errors[1] as any[]).map((x) => `${x.code} ${x.message}`).join(" | ")}`;
        };
        const format = "invalid_format a port range like 8000:8080";
        const bounds = "custom a port range from:to with 1 ≤ from ≤ to ≤ 65535";
        for (const p of ["abc", "x1:2", "1:2x", "123456:1", "1:123456"]) assert.equal(range(p), `invalid_union port: ${format}`, p);
        for (const p of ["0:10", "10:5", "12:3", "1:65536", "99999:99999"]) assert.equal(range(p), `invalid_union port: ${bounds}`, p);
        assert.equal(range("1:5"), "1:5");
        assert.equal(range("1:65535"), "1:65535");
        assert.equal(range("65535:65535"), "65535");
        assert.equal(range("0080:0090"), "80:90");
    });

    it("flow match and cookie", () => {
        assert.deepEqual(issues(flowMatch, "in_port=1,action=drop"), ["custom : a match must not contain actions= or action (put them in actions)"]);
        const reserved = "cannot be set in a match: use the resource's own inputs (table, priority, idleTimeout, hardTimeout; the cookie is owned)";
        assert.deepEqual(issues(flowMatch, "table=3,priority=5,dl_vlan=1"), [`custom : table, priority ${reserved}`]);
        const comma = "custom : empty field in match (stray comma)";
        assert.deepEqual(issues(flowMatch, ",dl_vlan=1"), [comma]);
        assert.deepEqual(issues(flowMatch, "dl_vlan=1,"), [comma]);
        assert.deepEqual(issues(flowMatch, "dl_vlan=1,,in_port=2"), [comma]);
        assert.deepEqual(issues(flowMatch, "dl_vlan=1,in_port=2"), []);
        const hex = "invalid_format : a 64-bit cookie in lower-case hex like 0xd71a2b3c4d5e6f70";
        const zero = "custom : cookie 0 is not ownable (hand-made flows carry it)";
        assert.deepEqual(issues(cookie, "0x00"), [zero]);
        assert.deepEqual(issues(cookie, "0x0000000000000000"), [zero]);
        for (const c of ["0x00000000000000000", "x0x0", "0x0g", "0X1"]) assert.deepEqual(issues(cookie, c), [hex], c);
        assert.deepEqual(issues(cookie, "0xffffffffffffffff"), []);
    });

    it("OVS port options per type", () => {
        const base = { connection: { host: "h" }, owner: "dvrlab:p/s", bridge: "br-int", name: "p1" };
        assert.deepEqual(issues(ovsPortSchema, { ...base, type: "patch" }), ["custom options.peer: a patch port needs options.peer"]);
        assert.deepEqual(issues(ovsPortSchema, { ...base, type: "vxlan" }), ["custom options.remoteIp: a vxlan port needs options.remoteIp"]);
        assert.deepEqual(issues(ovsPortSchema, { ...base, type: "internal", options: { peer: "p2" } }), [
            "custom options.peer: peer only applies to type patch",
        ]);
        assert.deepEqual(issues(ovsPortSchema, { ...base, options: { dstPort: 4790 } }), [
            "custom options: tunnel options only apply to type vxlan, not system",
        ]);
        assert.deepEqual(issues(ovsPortSchema, { ...base, options: { key: 0 } }), ["custom options: tunnel options only apply to type vxlan, not system"]);
        assert.deepEqual(issues(ovsPortSchema, { ...base, type: "patch", options: { peer: "p2" } }), []);
    });

    it("libvirt domain: paths, taps, boot, duplicates, multicast MACs, socket length", () => {
        assert.deepEqual(issues(hostPath, "/a/./b"), ["custom : no '.' or '..' path segments"]);
        assert.deepEqual(issues(hostPath, "/a/b/.."), ["custom : no '.' or '..' path segments"]);
        assert.deepEqual(issues(hostPath, "/a/.hidden/b..c"), []);
        const seed = {
            connection: { host: "h" },
            owner: "dvrlab:p/s",
            name: "cirros",
            memoryMiB: 96,
            boot: { kernel: "/k" },
            interfaces: [{ bridge: "qbr-cirros", tap: "tap-cirros", mac: "fa:16:3e:ff:aa:66" }],
        };
        assert.deepEqual(issues(libvirtDomainSchema, { ...seed, interfaces: [{ ...seed.interfaces[0], tap: "my-vnet0" }] }), []);
        assert.deepEqual(issues(libvirtDomainSchema, { ...seed, boot: {} }), ["custom boot: nothing to boot: give boot.kernel or a disk"]);
        assert.deepEqual(
            issues(libvirtDomainSchema, { ...seed, interfaces: [seed.interfaces[0], { bridge: "qbr-x", tap: "tap-cirros", mac: "fa:16:3e:ff:aa:66" }] }),
            ["custom interfaces.1.tap: same tap as interfaces[0]", "custom interfaces.1.mac: same mac as interfaces[0]"],
        );
        assert.deepEqual(issues(libvirtDomainSchema, { ...seed, interfaces: [{ ...seed.interfaces[0], mac: "01:16:3e:ff:aa:66" }] }), [
            "custom interfaces.0.mac: a multicast MAC (odd first octet) cannot be a NIC's address",
        ]);
        assert.deepEqual(
            issues(libvirtDomainSchema, { ...seed, interfaces: [{ ...seed.interfaces[0], mac: "10:16:3e:ff:aa:61" }] }),
            [],
            "only the first octet counts",
        );
        const sock = (n: number) => `/${"s".repeat(n - 1)}`;
        assert.deepEqual(issues(libvirtDomainSchema, { ...seed, channelSocket: sock(107) }), []);
        assert.deepEqual(issues(libvirtDomainSchema, { ...seed, channelSocket: sock(108) }), ["custom channelSocket: unix socket paths are at most 107 bytes"]);
    });

    it("DHCP lease and server addresses", () => {
        const lease = {
            connection: { host: "h" },
            network: "net1",
            serverAddress: "192.168.10.2/24",
            mac: "fa:16:3e:ff:aa:66",
            hostname: "cirros",
            ip: "192.168.10.168",
        };
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, ip: "192.168.11.5" }), [
            "custom ip: 192.168.11.5 is not a host address of the server's subnet 192.168.10.0/24",
        ]);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, ip: "192.168.10.2" }), ["custom ip: 192.168.10.2 is the DHCP server's own address"]);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, mac: "03:16:3e:ff:aa:66" }), [
            "custom mac: a multicast MAC (odd first octet) cannot be a NIC's address",
        ]);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, mac: "30:16:3e:ff:aa:67" }), []);
        const number = "custom hostname: a host name, not a number";
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, hostname: "1" }), [number]);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, hostname: "10.0.0.1" }), [number]);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, hostname: "vm1" }), []);
        assert.deepEqual(issues(dhcpLeaseSchema, { ...lease, hostname: "1vm" }), []);
        assert.deepEqual(issues(serverCidr, "192.168.10.1/30"), []);
        assert.deepEqual(issues(serverCidr, "192.168.10.1/31"), ["custom : the subnet must be /30 or larger"]);
        assert.deepEqual(issues(serverCidr, "192.168.10.3/30"), ["custom : 192.168.10.3 is the network or broadcast address of 192.168.10.0/30"]);
        const server = { connection: { host: "h" }, owner: "dvrlab:p/s", network: "net1", tag: 1, address: "192.168.10.2/24" };
        assert.deepEqual(issues(dhcpServerSchema, { ...server, router: "192.168.11.1" }), [
            "custom router: 192.168.11.1 is not a host address of 192.168.10.0/24",
        ]);
        assert.deepEqual(issues(dhcpServerSchema, { ...server, router: "192.168.10.2" }), [
            "custom router: the router cannot be the DHCP server's own address",
        ]);
        assert.deepEqual(issues(dhcpServerSchema, { ...server, router: "192.168.10.1" }), []);
    });
});
