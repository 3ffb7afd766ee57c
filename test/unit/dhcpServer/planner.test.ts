import { strict as assert } from "assert";
import { dhcpServerSchema, portOf } from "../../../provider/dhcpServer/schema";
import {
    dnsmasqArgs,
    isOurDnsmasq,
    isServing,
    parseDnsmasqArgs,
    parseServer,
    planLink,
    planPort,
    planStartDnsmasq,
    toInputs,
} from "../../../provider/dhcpServer/planner";
import { subnetOf, isHostAddress } from "../../../provider/net/ipv4";

const seed = dhcpServerSchema.parse({ connection: { host: "172.30.124.233" }, owner: "dvrlab:p/s", network: "net1", tag: 1, address: "192.168.10.2/24" });

const issues = (x: any) => {
    const r = dhcpServerSchema.safeParse({ ...seed, ...x });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

/** showServer output for a healthy server (what the host prints). */
function healthy(argv = dnsmasqArgs(seed)): string {
    return [
        "@@ns",
        "yes",
        "@@port",
        "br-int",
        JSON.stringify({ data: [[1, ["map", [["dvrlab-owner", "dvrlab:p/s"]]]]], headings: ["tag", "external_ids"] }),
        JSON.stringify({ data: [["internal"]], headings: ["type"] }),
        "@@link",
        JSON.stringify([
            { ifname: "tapnet1", flags: ["BROADCAST", "UP", "LOWER_UP"], mtu: 1450, addr_info: [{ family: "inet", local: "192.168.10.2", prefixlen: 24 }] },
        ]),
        "@@hostlink",
        "[]",
        "@@tx",
        "off",
        "@@owner",
        "dvrlab:p/s",
        "@@dir",
        "yes",
        "@@pid",
        "4242",
        "@@pidns",
        "qdhcp-net1",
        "@@cmdline",
        ...argv,
        "",
    ].join("\n");
}

describe("DhcpServer planner", () => {
    it("runs Neutron's dnsmasq: hosts file, addn_hosts, static range, lease time, pid, log, MTU 1450 as option 26", () => {
        assert.deepEqual(dnsmasqArgs(seed), [
            "dnsmasq",
            "--no-hosts",
            "--no-resolv",
            "--conf-file=/dev/null",
            "--pid-file=/var/lib/dvrlab/dhcp/net1/pid",
            "--dhcp-hostsfile=/var/lib/dvrlab/dhcp/net1/host",
            "--addn-hosts=/var/lib/dvrlab/dhcp/net1/addn_hosts",
            "--dhcp-leasefile=/var/lib/dvrlab/dhcp/net1/leases",
            "--log-facility=/var/lib/dvrlab/dhcp/net1/dnsmasq.log",
            "--interface=tapnet1",
            "--except-interface=lo",
            "--bind-interfaces",
            "--local-service",
            "--dhcp-range=set:net1,192.168.10.0,static,255.255.255.0,86400s",
            "--dhcp-option-force=option:mtu,1450",
            "--dhcp-option=3",
            "--domain=openstacklocal",
        ]);
        const d = dhcpServerSchema.parse({ ...seed, router: "192.168.10.1", dnsServers: ["8.8.8.8", "1.1.1.1"], leaseTime: 600, mtu: 1400 });
        assert.deepEqual(parseDnsmasqArgs(dnsmasqArgs(d)), {
            mtu: 1400,
            leaseTime: 600,
            router: "192.168.10.1",
            dnsServers: ["8.8.8.8", "1.1.1.1"],
            domain: "openstacklocal",
        });
    });

    it("starts dnsmasq inside qdhcp-<network>, its argv as positional arguments, startup errors on stderr", () => {
        const argv = planStartDnsmasq(seed);
        assert.deepEqual(argv.slice(0, 2), ["sh", "-c"]);
        assert.deepEqual(argv.slice(3, 6), ["sh", "qdhcp-net1", "/var/lib/dvrlab/dhcp/net1/dnsmasq.err"]);
        assert.deepEqual(argv.slice(6), dnsmasqArgs(seed));
    });

    it("adds the tap as an OVS internal port with the local VLAN, moves it into the namespace, offload off on netdev", () => {
        assert.deepEqual(planPort(seed, false), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--",
                "add-port",
                "br-int",
                "tapnet1",
                "--",
                "set",
                "Interface",
                "tapnet1",
                "type=internal",
                "--",
                "set",
                "Port",
                "tapnet1",
                "tag=1",
                'external_ids:dvrlab-owner="dvrlab:p/s"',
            ],
        ]);
        assert.deepEqual(planLink(seed, { inHostNamespace: true }, false), {
            cmds: [
                ["ip", "link", "set", "dev", "tapnet1", "netns", "qdhcp-net1"],
                ["ip", "-n", "qdhcp-net1", "link", "set", "dev", "tapnet1", "mtu", "1450"],
                ["ip", "-n", "qdhcp-net1", "addr", "add", "192.168.10.2/24", "dev", "tapnet1"],
                ["ip", "-n", "qdhcp-net1", "link", "set", "dev", "tapnet1", "up"],
                ["ip", "netns", "exec", "qdhcp-net1", "ethtool", "-K", "tapnet1", "tx", "off"],
            ],
            rebind: true,
        });
        const st = parseServer(healthy());
        assert.deepEqual(planLink(seed, st, false, false), { cmds: [], rebind: false });
        const moved = planLink({ ...seed, address: "192.168.10.3/24" }, st, false, false);
        assert.deepEqual(moved.cmds, [
            ["ip", "-n", "qdhcp-net1", "-4", "addr", "flush", "dev", "tapnet1"],
            ["ip", "-n", "qdhcp-net1", "addr", "add", "192.168.10.3/24", "dev", "tapnet1"],
        ]);
        assert.equal(moved.rebind, true);
    });

    it("reads a healthy server back as its inputs", () => {
        const st = parseServer(healthy());
        assert.equal(st.dnsmasq?.pid, 4242);
        assert.deepEqual(toInputs(st, seed), { ...seed, txChecksum: false });
    });

    it("a dead dnsmasq, a foreign process behind the pid, or other options read as not running", () => {
        const dead = healthy().replace(/@@pid\n[\s\S]*$/, "@@pid\n");
        assert.equal(toInputs(parseServer(dead), seed).running, false);
        const foreign = healthy(["sleep", "1000"]);
        assert.equal(toInputs(parseServer(foreign), seed).running, false);
        const noMtu = healthy(dnsmasqArgs(seed).filter((a) => !a.includes("option:mtu")));
        assert.equal(toInputs(parseServer(noMtu), seed).running, false);
        const orphan = parseServer(healthy().replace("@@pidns\nqdhcp-net1", "@@pidns\n"));
        assert.equal(toInputs(orphan, seed).running, false, "its namespace was deleted under it: serves nothing");
        assert.equal(isOurDnsmasq(orphan, seed), true, "but still ours to stop");
        assert.equal(isServing(orphan, seed), false);
        const otherLease = healthy(dnsmasqArgs({ ...seed, leaseTime: 120 }));
        const r = toInputs(parseServer(otherLease), seed);
        assert.deepEqual([r.leaseTime, r.running], [120, true], "a dnsmasq started with other values reports those values");
    });

    it("parses every option a running dnsmasq's argv can say, and nothing from look-alikes", () => {
        const full = dhcpServerSchema.parse({ ...seed, router: "192.168.10.1", dnsServers: ["8.8.8.8", "1.1.1.1"], domain: "lab", leaseTime: 600, mtu: 1400 });
        assert.deepEqual(parseDnsmasqArgs(dnsmasqArgs(full)), {
            mtu: 1400,
            leaseTime: 600,
            router: "192.168.10.1",
            dnsServers: ["8.8.8.8", "1.1.1.1"],
            domain: "lab",
        });
        assert.deepEqual(parseDnsmasqArgs(dnsmasqArgs(seed)), { mtu: 1450, leaseTime: 86400, domain: "openstacklocal" });
        assert.deepEqual(
            parseDnsmasqArgs([
                "x--dhcp-option-force=option:mtu,1400",
                "--dhcp-option-force=option:mtu,1400x",
                "--dhcp-range=set:net1,192.168.10.0,static,255.255.255.0,600",
                "x--dhcp-option=option:router,1.2.3.4",
                "x--dhcp-option=option:dns-server,1.2.3.4",
                "x--domain=lab",
            ]),
            {},
        );
        // a full round trip: a dnsmasq started with these values reads back as them, running
        const r = toInputs(parseServer(healthy(dnsmasqArgs(full))), seed);
        assert.deepEqual([r.mtu, r.leaseTime, r.router, r.dnsServers, r.domain, r.running], [1400, 600, "192.168.10.1", ["8.8.8.8", "1.1.1.1"], "lab", true]);
        // values only a running dnsmasq can tell stay as stored when none runs, but router/DNS read as unset from ours
        const stopped = toInputs(parseServer(healthy().replace(/@@pid\n[\s\S]*$/, "@@pid\n")), full);
        assert.deepEqual([stopped.mtu, stopped.router, stopped.dnsServers, stopped.running], [1400, "192.168.10.1", ["8.8.8.8", "1.1.1.1"], false]);
        const oursWithout = toInputs(parseServer(healthy()), full);
        assert.deepEqual([oursWithout.router, oursWithout.dnsServers, oursWithout.running], [undefined, undefined, true]);
        assert.equal("router" in oursWithout, false);
    });

    it("parseServer: sections, owner, a pid only with its cmdline, the last empty argv element dropped", () => {
        const st = parseServer(["@@ns", "no", "@@owner", "  ", "@@dir", "no", "@@pid", "0", "@@pidns", "x", "@@cmdline", "dnsmasq", ""].join("\n"));
        assert.deepEqual([st.namespace, st.owner, st.dir, st.dnsmasq], [false, undefined, false, undefined]);
        const st2 = parseServer(
            [
                "@@ns",
                "yes",
                "@@owner",
                " dvrlab:p/s ",
                "@@dir",
                "yes",
                "@@pid",
                "77",
                "@@pidns",
                "qdhcp-a",
                "qdhcp-b",
                "@@cmdline",
                "/usr/sbin/dnsmasq",
                "",
                "--pid-file=/var/lib/dvrlab/dhcp/net1/pid",
                "",
            ].join("\n"),
        );
        assert.deepEqual([st2.namespace, st2.owner, st2.dir], [true, "dvrlab:p/s", true]);
        assert.deepEqual(st2.dnsmasq, { pid: 77, namespace: "qdhcp-a", argv: ["/usr/sbin/dnsmasq", "", "--pid-file=/var/lib/dvrlab/dhcp/net1/pid"] });
        assert.equal(parseServer(["@@pid", "77"].join("\n")).dnsmasq, undefined, "no cmdline: the pid is gone");
        const ours = (argv: string[]) => isOurDnsmasq({ ...st2, dnsmasq: { ...st2.dnsmasq!, argv } }, seed);
        assert.equal(ours(["/usr/sbin/dnsmasq", "--pid-file=/var/lib/dvrlab/dhcp/net1/pid"]), true);
        assert.equal(ours(["dnsmasq", "--pid-file=/var/lib/dvrlab/dhcp/net1/pid"]), true);
        assert.equal(ours(["/usr/sbin/notdnsmasq", "--pid-file=/var/lib/dvrlab/dhcp/net1/pid"]), false);
        assert.equal(ours(["dnsmasq", "--pid-file=/var/lib/dvrlab/dhcp/net2/pid"]), false);
        assert.equal(ours([]), false);
    });

    it("reads drift of tag, address and offload", () => {
        const out = healthy()
            .replace('[[1,["map"', '[[["set",[]],["map"')
            .replace('"local":"192.168.10.2"', '"local":"192.168.10.9"')
            .replace("@@tx\noff", "@@tx\non");
        const r = toInputs(parseServer(out), seed);
        assert.deepEqual([r.tag, r.address, r.txChecksum], [-1, "192.168.10.9/24", true]);
    });

    it("check: network id, server address, router", () => {
        assert.match(issues({ network: "Net_1" }).join(), /^network: lower-case/);
        assert.match(issues({ network: "n".repeat(58) }).join(), /^network: at most 57/);
        assert.match(issues({ address: "192.168.10.0/24" }).join(), /^address: .*network or broadcast/);
        assert.match(issues({ address: "192.168.10.2/31" }).join(), /^address: the subnet must be \/30/);
        assert.match(issues({ router: "10.0.0.1" }).join(), /^router: 10.0.0.1 is not a host address of 192.168.10.0\/24/);
        assert.match(issues({ mtu: 100 }).join(), /^mtu:/);
        assert.match(issues({ domain: "bad_domain" }).join(), /^domain:/);
        assert.deepEqual(issues({}), []);
        assert.equal(portOf({ network: "0123456789abcdef" }), "tap0123456789a");
    });

    it("subnet arithmetic", () => {
        assert.deepEqual(subnetOf("192.168.10.2/24"), {
            address: "192.168.10.2",
            prefix: 24,
            network: "192.168.10.0",
            netmask: "255.255.255.0",
            broadcast: "192.168.10.255",
        });
        assert.deepEqual(subnetOf("10.1.2.3/20"), { address: "10.1.2.3", prefix: 20, network: "10.1.0.0", netmask: "255.255.240.0", broadcast: "10.1.15.255" });
        const s = subnetOf("192.168.10.2/24");
        assert.equal(isHostAddress("192.168.10.168", s), true);
        assert.equal(isHostAddress("192.168.11.1", s), false);
        assert.equal(isHostAddress("192.168.10.255", s), false);
        assert.equal(isHostAddress("192.168.10.0", s), false, "the network address");
        // RFC 3021: a /31 has two host addresses and no network/broadcast; a /32 is its one address
        assert.equal(isHostAddress("10.0.0.0", subnetOf("10.0.0.0/31")), true);
        assert.equal(isHostAddress("10.0.0.1", subnetOf("10.0.0.0/31")), true);
        assert.equal(isHostAddress("10.0.0.5", subnetOf("10.0.0.5/32")), true);
        assert.equal(isHostAddress("10.0.0.3", subnetOf("10.0.0.0/30")), false);
    });
});
