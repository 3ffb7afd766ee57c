import { strict as assert } from "assert";
import { z } from "zod";
import { cidr4, configKey, connection, failuresOf, hostName, ifName, ipv4, mac, owner, vlan, vni } from "../../../provider/core/schema";
import { dvrMac, dvrMacs } from "../../../provider/flows";

// The shared field schemas every resource validates with at check (preview) time: what passes,
// what is refused, and with which message.
const ok = (s: z.ZodTypeAny, v: unknown) => assert.equal(s.safeParse(v).success, true, `refused ${JSON.stringify(v)}`);
const bad = (s: z.ZodTypeAny, v: unknown, msg?: string) => {
    const r = s.safeParse(v);
    assert.equal(r.success, false, `accepted ${JSON.stringify(v)}`);
    if (msg) assert.equal(r.error!.issues[0].message, msg);
};

describe("core field schemas", () => {
    it("ifName: 1–15 characters, letters/digits/_.-, starting with a letter or digit; never . or ..", () => {
        for (const v of ["a", "qvo-cirros", "vxlan-ac1e7ce9", "br_int.10", "123456789012345"]) ok(ifName, v);
        bad(ifName, "1234567890123456", "interface names are at most 15 characters (IFNAMSIZ)");
        bad(ifName, "", undefined);
        for (const v of ["-a", ".a", "a b", "a/b", "a;b", "a\n", "\na"]) bad(ifName, v, "letters, digits, '_', '.', '-' only, starting with a letter or digit");
        // "." and ".." fail the regex (first character) and the refine, a second guard: both messages
        for (const v of [".", ".."]) {
            assert.deepEqual(
                ifName.safeParse(v).error!.issues.map((i) => i.message),
                ["letters, digits, '_', '.', '-' only, starting with a letter or digit", "not a valid interface name"],
            );
        }
    });

    it("hostName: DNS labels or an IP", () => {
        for (const v of ["server-64", "a.b.example", "172.30.124.64", "fe80::1", "x"]) ok(hostName, v);
        for (const v of ["-a", "a-", "a..b", "a b", "a;reboot", "a_b", "z".repeat(64)]) bad(hostName, v, "a host name or IP address");
        bad(hostName, "a".repeat(254));
        bad(hostName, "");
    });

    it("ipv4, cidr4, mac (lower-cased), vlan, vni, configKey, owner", () => {
        for (const v of ["0.0.0.0", "255.255.255.255", "192.168.10.168", "10.0.0.9"]) ok(ipv4, v);
        for (const v of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24"])
            bad(ipv4, v, "an IPv4 address like 192.168.10.168");
        for (const v of ["192.168.10.0/24", "0.0.0.0/0", "10.0.0.0/32"]) ok(cidr4, v);
        for (const v of ["192.168.10.0/33", "192.168.10.0", "192.168.10.0/24 ", "x192.168.10.0/24"]) bad(cidr4, v, "an IPv4 CIDR like 192.168.10.0/24");
        assert.equal(mac.parse("FA:16:3E:FF:AA:66"), "fa:16:3e:ff:aa:66");
        for (const v of ["fa:16:3e:ff:aa", "fa:16:3e:ff:aa:66:77", "fa-16-3e-ff-aa-66", "xfa:16:3e:ff:aa:66", "fa:16:3e:ff:aa:6g"])
            bad(mac, v, "a MAC address like fa:16:3e:ff:aa:66");
        ok(vlan, 0);
        ok(vlan, 4095);
        bad(vlan, 4096);
        bad(vlan, -1);
        bad(vlan, 1.5);
        ok(vni, 0xffffff);
        bad(vni, 0x1000000);
        ok(configKey, "sshPrivateKey");
        for (const v of ["1key", "key-name", "", "a b"]) bad(configKey, v, "a config key name");
        ok(owner, "dvrlab:dvrlab/dev");
        for (const v of ["dvrlab:p", "x:p/s", "dvrlab:p/s/t", "dvrlab:p/s ", " dvrlab:p/s"]) bad(owner, v, "dvrlab:<project>/<stack>");
    });

    it("connection: defaults port 22, root, sshPrivateKey; refuses a bad user or port", () => {
        assert.deepEqual(connection.parse({ host: "10.0.0.1" }), { host: "10.0.0.1", port: 22, user: "root", keyRef: "sshPrivateKey" });
        bad(connection, { host: "10.0.0.1", user: "Root" });
        bad(connection, { host: "10.0.0.1", port: 0 });
        bad(connection, { host: "10.0.0.1", port: 65536 });
        ok(connection, { host: "10.0.0.1", port: 65535, user: "_svc-1" });
    });

    it("failuresOf names the property path, or (inputs) for the whole object", () => {
        const r = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: "x" } });
        assert.deepEqual(failuresOf(r.error!), [{ property: "a.b", reason: "Invalid input: expected number, received string" }]);
        const top = z.number().safeParse("x");
        assert.deepEqual(
            failuresOf(top.error!).map((f) => f.property),
            ["(inputs)"],
        );
    });
});

describe("dvrMac bases and collisions", () => {
    it("refuses a base that is not exactly a MAC, naming it", () => {
        for (const b of ["xfa:16:3f:00:00:00", "fa:16:3f:00:00:00x", "fa:16:3f:00:00"]) {
            assert.throws(() => dvrMac(b, 0), new RegExp(`^Error: dvrMac: base ${JSON.stringify(b)} is not a MAC like fa:16:3f:00:00:00$`));
        }
        assert.throws(
            () => dvrMac("fb:16:3f:00:00:00", 0),
            /^Error: dvrMac: base fb:16:3f:00:00:00 is a multicast address \(lowest bit of the first octet set\)$/,
        );
        assert.equal(dvrMac("fa:16:3f:00:00:00", 0), "fa:16:3f:00:00:01", "fa: even first octet, unicast");
        assert.equal(dvrMac("fa:16:3f:07:00:00", 65533), "fa:16:3f:07:ff:fe", "four fixed octets: 2^16 - 1 hosts");
    });

    it("dvrMacs refuses two host names deriving one MAC (h648 and h654 share sha256 prefix 0x9643), and allows a repeated name", () => {
        assert.throws(
            () => dvrMacs("fa:16:3f:07:00:00", ["h1", "h648", "h654"]),
            /^Error: dvrMacs: hosts h648 and h654 both derive fa:16:3f:07:96:43; use host indexes or another base$/,
        );
        assert.deepEqual(dvrMacs("fa:16:3f:07:00:00", ["h648", "h648"]), { h648: "fa:16:3f:07:96:43" });
    });
});
