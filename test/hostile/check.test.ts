import { strict as assert } from "assert";
import { configure, provider } from "../../provider/core/runtime";
import { kinds } from "../../provider/kinds";

// Hostile and bad input, table-driven, for every registered kind: the provider's `check` (what
// Pulumi calls at preview) must refuse each value and name the property. check runs in-process
// here with a config source that records every read: a connection attempt would have to read the
// key settings first, so "no config read" proves no host was contacted.

type Path = (string | number)[];
interface Case {
    /** The property Pulumi must name ("interfaces.0.mac"). */
    property: string;
    /** Deep-merged into the kind's valid base inputs (arrays by index). */
    patch: any;
    label: string;
}

const SHELL = ["reboot;", "$(reboot)", "`reboot`", "'", '"', "\nreboot", " reboot", "\treboot", "|reboot", "&reboot", ">x", "\0"];
const hostileOf = (valid: string): string[] => [
    ...SHELL.map((s) => valid + s),
    "$(reboot)",
    "`reboot`",
    `-${valid}`, // option injection
    ` ${valid}`,
    `${valid}\n`,
    "",
];
const SIXTEEN = "dvrlt-abcdefghij"; // 16 characters: one over IFNAMSIZ-1
const FIFTEEN = "dvrlt-abcdefghi";

function at(path: Path, value: any): any {
    let v = value;
    for (let i = path.length - 1; i >= 0; i--) {
        const k = path[i];
        if (typeof k === "number") {
            const a: any[] = [];
            a[k] = v;
            v = a;
        } else v = { [k]: v };
    }
    return v;
}

function merge(base: any, patch: any): any {
    if (Array.isArray(patch)) {
        const out = Array.isArray(base) ? [...base] : [];
        patch.forEach((p, i) => (out[i] = merge(out[i], p)));
        return out;
    }
    if (patch && typeof patch === "object") {
        const out = { ...(base && typeof base === "object" ? base : {}) };
        for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
        return out;
    }
    return patch;
}

const prop = (p: Path) => p.map(String).join(".");
/** Every hostile form of a string field (plus 16 characters when it is an interface name). */
function strings(path: Path, valid: string, opts: { ifName?: boolean; extra?: any; allow?: string[] } = {}): Case[] {
    const vals = hostileOf(valid).filter((v) => !opts.allow?.includes(v));
    if (opts.ifName) vals.push(SIXTEEN, "a/b", "..");
    return vals.map((v) => ({ property: prop(path), patch: merge(opts.extra ?? {}, at(path, v)), label: JSON.stringify(v) }));
}
function bad(path: Path, values: any[], extra: any = {}, property = prop(path)): Case[] {
    return values.map((v) => ({ property, patch: merge(extra, at(path, v)), label: JSON.stringify(v) }));
}

const BAD_MAC = [
    "fa:16:3e:ff:aa:6",
    "fa:16:3e:ff:aa:666",
    "fa-16-3e-ff-aa-66",
    "fa:16:3e:ff:aa",
    "zz:16:3e:ff:aa:66",
    "fa:16:3e:ff:aa:66:77",
    "fa16.3eff.aa66",
    0xfa163effaa66,
];
const BAD_IP = ["192.168.10.300", "192.168.10", "192.168.10.1.5", "192.168.010.1", "::1", "192.168.10.-1", 3232238090];
const BAD_CIDR = ["192.168.10.0/33", "192.168.10.0", "192.168.10.0/", "192.168.10.0/-1", "192.168.10.0/24/8", "192.168.10.300/24", "0.0.0.0/0 -j ACCEPT"];
const BAD_VLAN = [4096, -1, 1.5, "1", "1;reboot", null];
const BAD_VNI = [2 ** 24, -1, 0.5, "0x813", "flow;reboot", "813 "];
const BAD_PORT = [0, 65536, -22, 2.5, "22", "22;reboot"];

/** Cases every kind with a `connection` shares. */
function connectionCases(): Case[] {
    return [
        ...strings(["connection", "host"], "172.30.124.68"),
        ...strings(["connection", "host"], "server-68"),
        ...bad(["connection", "host"], ["-oProxyCommand=reboot", "a..b", "host_name", "a".repeat(254)]),
        ...bad(["connection", "port"], BAD_PORT),
        ...strings(["connection", "user"], "root"),
        ...bad(["connection", "user"], ["Root", "a".repeat(33)]),
        ...strings(["connection", "keyRef"], "sshPrivateKey"),
    ];
}
const ownerCases = (): Case[] => [...strings(["owner"], "dvrlab:p/s"), ...bad(["owner"], ["dvrlab:p/s/t", "other:p/s", "dvrlab:p"])];

const connection = { host: "172.30.124.68" };
const owner = "dvrlab:dvrlab-hostile/s";

const table: Record<string, { base: any; cases: Case[] }> = {
    LinuxBridge: {
        base: { connection, owner, name: "qbr-x" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "qbr-x", { ifName: true }),
            ...bad(["forwardDelay"], [-1, 31, "0;reboot", 1.5]),
            ...bad(["stp"], ["true", "true;reboot", 1]),
            ...bad(["forwardDelay"], [0], { stp: true }),
        ],
    },
    VethPair: {
        base: { connection, owner, name: "qvb-x", peer: "qvo-x" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "qvb-x", { ifName: true }),
            ...strings(["peer"], "qvo-x", { ifName: true }),
            ...strings(["nameEnd", "master"], "qbr-x", { ifName: true }),
            ...strings(["peerEnd", "master"], "qbr-x", { ifName: true }),
            ...bad(["peer"], ["qvb-x"]),
            ...bad(["mtu"], [67, 65536, "1500", "1500;reboot"]),
            ...bad(["nameEnd"], [{ promisc: false, x: "$(reboot)" }]),
        ],
    },
    OvsBridge: {
        base: { connection, owner, name: "br-int" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "br-int", { ifName: true }),
            ...strings(["datapathType"], "netdev"),
            ...strings(["failMode"], "secure"),
            ...strings(["protocols", 0], "OpenFlow13"),
            ...bad(["adopt"], ["yes", 1, "true;reboot"]),
            // external_ids travel inside one `external_ids:k="v"` argv element: a leading '-' is no
            // option there and an empty value is legal; everything else is refused.
            ...hostileOf("k")
                .filter((k) => k !== "-k")
                .map((k) => ({ property: `externalIds.${k}`, patch: { externalIds: { [k]: "v" } }, label: `key ${JSON.stringify(k)}` })),
            ...strings(["externalIds", "k"], "v", { allow: ["-v", ""] }),
            ...bad(["externalIds", "k"], ["a b", "x\u00e9", "v,other=1"]),
        ],
    },
    OvsPort: {
        base: { connection, owner, bridge: "br-int", name: "qvo-x" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["bridge"], "br-int", { ifName: true }),
            ...strings(["name"], "qvo-x", { ifName: true }),
            ...strings(["options", "peer"], "patch-tun", { ifName: true, extra: { type: "patch" } }),
            ...strings(["type"], "internal"),
            ...bad(["tag"], BAD_VLAN),
            ...strings(["options", "remoteIp"], "172.30.124.64", { extra: { type: "vxlan" } }),
            ...bad(["options", "remoteIp"], BAD_IP, { type: "vxlan" }),
            ...strings(["options", "localIp"], "172.30.124.68", { extra: { type: "vxlan", options: { remoteIp: "172.30.124.64" } } }),
            ...bad(["options", "localIp"], BAD_IP, { type: "vxlan", options: { remoteIp: "172.30.124.64" } }),
            ...bad(["options", "key"], BAD_VNI, { type: "vxlan", options: { remoteIp: "172.30.124.64" } }),
            ...bad(["options", "dstPort"], BAD_PORT, { type: "vxlan", options: { remoteIp: "172.30.124.64" } }),
            ...bad(["ofportRequest"], [0, 65280, "1;reboot"]),
            ...bad(["options"], [{ remoteIp: "172.30.124.64" }], { type: "internal" }),
            ...bad(["options"], [{ bogus: "$(reboot)" }]),
            ...bad(["externalIds", "k"], ["$(reboot)", "a b", "\n"]),
        ],
    },
    FlowEntry: {
        base: { connection, owner, bridge: "br-tun", table: 22, priority: 1, match: "dl_vlan=1", actions: "output:2", cookie: "0xd71a2b3c4d5e6f70" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["bridge"], "br-tun", { ifName: true }),
            // OpenFlow needs '>' (load:1->NXM_…); match and actions only ever travel joined behind
            // cookie=…,table=…, so a leading '-' is no option (ovs-ofctl refuses the field at up).
            ...strings(["match"], "dl_vlan=1", { allow: ["dl_vlan=1>x", "-dl_vlan=1"] }),
            ...strings(["actions"], "output:2", { allow: ["output:2>x", "-output:2"] }),
            ...strings(["cookie"], "0xd71a2b3c4d5e6f70"),
            // A match that smuggles its own actions, cookie, table, priority or timeouts: OVS's parser
            // takes the first "action" substring as the start of the actions and key(value) like key=value.
            ...bad(
                ["match"],
                [
                    "in_port=1,actions=drop",
                    "actions=drop",
                    "in_port=1,actions=output:9,resubmit(,0)",
                    "in_port=1,action=drop",
                    "in_port=1,action:drop",
                    "in_port=1,ACTIONS=drop",
                    "in_port=1\nactions=drop",
                    "in_port=1,\nadd,actions=NORMAL",
                    "in_port=1,cookie=0x1",
                    "in_port=1,cookie(0x1)",
                    "in_port=1,cookie:0x1",
                    "in_port=1,table(3)",
                    "in_port=1,priority(65535)",
                    "in_port=1,hard_timeout(1)",
                    "in_port=1,idle_timeout=1",
                    "in_port=1,out_port(1)",
                    "in_port=1,,ip",
                    "in_port=1 actions=drop",
                ],
            ),
            ...bad(["actions"], ["output:1\nadd table=0,actions=NORMAL", "actions=drop", "output:1 ;reboot", "output:'1'", "drop\r"]),
            ...bad(["cookie"], ["0x0", "0x1ffffffffffffffff", "12", "0XAB"]),
            ...bad(["table"], [255, -1, "0;reboot"]),
            ...bad(["priority"], [65536, -1, 1.5]),
            ...bad(["idleTimeout"], [65536, -5]),
            ...bad(["hardTimeout"], [65536, "1;reboot"]),
        ],
    },
    SecurityGroup: {
        base: {
            connection,
            owner,
            portId: "vm1",
            tap: "tap-vm1",
            ip: "192.168.10.5",
            mac: "fa:16:3e:00:00:05",
            ingress: [{ protocol: "tcp", port: 22 }],
            egress: [{ protocol: "udp", port: 53 }],
        },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["portId"], "vm1"),
            ...bad(["portId"], ["VM1", "a".repeat(21)]),
            ...strings(["tap"], "tap-vm1", { ifName: true }),
            ...strings(["ingress", 0, "protocol"], "tcp"),
            ...strings(["ingress", 0, "remoteCidr"], "10.0.0.0/8"),
            ...bad(["ingress", 0, "remoteCidr"], BAD_CIDR),
            ...bad(["ingress", 0, "port"], [0, 65536, "22;reboot", "1:2\n", "$(reboot):80", "99999:1", "1:99999", "0:80", "8080:80", "22", " 1:2"]),
            ...bad(["ingress", 0, "port"], [22], { ingress: [{ protocol: "icmp" }] }),
            ...bad(["ingress", 0], [{ protocol: "tcp", port: 22, extra: "-j ACCEPT" }]),
            ...strings(["ip"], "192.168.10.5"),
            ...bad(["ip"], [...BAD_IP, "192.168.10.5/32"]),
            ...strings(["mac"], "fa:16:3e:00:00:05"),
            ...bad(["mac"], BAD_MAC),
            ...strings(["egress", 0, "remoteCidr"], "10.0.0.0/8"),
            ...bad(["egress", 0, "port"], ["53;reboot", 0]),
            ...bad(["egress", 0], [{ protocol: "udp", port: 53, remoteGroup: "default" }]),
            ...bad(["enforcement"], ["broken: $(reboot)"]),
        ],
    },
    LibvirtDomain: {
        base: {
            connection,
            owner,
            name: "dvrlt-vm",
            memoryMiB: 64,
            boot: { kernel: "/var/lib/dvrlab/vmlinuz", initrd: "/var/lib/dvrlab/initrd.img", cmdline: "console=ttyS0" },
            disk: { base: "/var/lib/libvirt/images/base.qcow2", path: "/var/lib/libvirt/images/dvrlt-vm.qcow2" },
            interfaces: [{ bridge: "qbr-vm", tap: "tap-vm", mac: "fa:16:3e:00:00:01" }],
            channelSocket: "/var/lib/libvirt/qemu/dvrlt-vm.sock",
            consoleLog: "/var/log/libvirt/qemu/dvrlt-vm.log",
        },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "dvrlt-vm"),
            ...bad(["name"], ["a".repeat(65), "a/b", "../x"]),
            ...strings(["interfaces", 0, "bridge"], "qbr-vm", { ifName: true }),
            ...strings(["interfaces", 0, "tap"], "tap-vm", { ifName: true }),
            ...bad(["interfaces", 0, "tap"], ["vnet0", "macvtap1"]),
            ...strings(["interfaces", 0, "mac"], "fa:16:3e:00:00:01"),
            ...bad(["interfaces", 0, "mac"], [...BAD_MAC, "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff"]),
            ...strings(["interfaces", 0, "model"], "virtio"),
            ...bad(["interfaces", 0], [{ bridge: "qbr-vm", tap: "tap-vm", mac: "fa:16:3e:00:00:01", script: "/bin/sh" }]),
            ...bad(["interfaces", 1, "mac"], ["fa:16:3e:00:00:01"], { interfaces: [{}, { bridge: "qbr-vm2", tap: "tap-vm2", mac: "FA:16:3E:00:00:01" }] }),
            ...bad(["interfaces"], [Array.from({ length: 9 }, (_, i) => ({ bridge: "qbr-vm", tap: `tap-vm${i}`, mac: `fa:16:3e:00:00:1${i}` }))]),
            ...(["kernel", "initrd"] as const).flatMap((k) => [
                ...strings(["boot", k], `/var/lib/dvrlab/${k}`),
                ...bad(["boot", k], ["relative/path", "/var/lib/../../etc/shadow", "/var/lib/./x", "/a b", "/x\u00e9"]),
            ]),
            ...bad(["boot", "cmdline"], ["console=ttyS0\nreboot", "console=ttyS0\r", "console=ttyS0\0", "a".repeat(2049)]),
            ...strings(["disk", "base"], "/var/lib/libvirt/images/base.qcow2"),
            ...strings(["disk", "path"], "/var/lib/libvirt/images/x.qcow2"),
            ...bad(["disk", "path"], ["/var/lib/libvirt/images/../../../etc/passwd"]),
            ...strings(["disk", "baseFormat"], "qcow2"),
            ...strings(["channelSocket"], "/var/lib/libvirt/qemu/x.sock"),
            ...bad(["channelSocket"], ["/" + "a".repeat(107)]),
            ...strings(["consoleLog"], "/var/log/libvirt/qemu/x.log"),
            ...bad(["memoryMiB"], [15, "64", "64;reboot", 1.5]),
            ...bad(["vcpus"], [0, 65]),
            ...strings(["domainType"], "kvm"),
        ],
    },
    DhcpServer: {
        base: { connection, owner, network: "net1", tag: 1, address: "192.168.10.2/24" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["network"], "net1"),
            ...bad(["network"], ["Net1", "net1-", "a".repeat(58), "../net"]),
            ...strings(["port"], "tapnet1", { ifName: true }),
            ...strings(["bridge"], "br-int", { ifName: true }),
            ...bad(["tag"], BAD_VLAN),
            ...strings(["address"], "192.168.10.2/24"),
            ...bad(["address"], [...BAD_CIDR, "192.168.10.0/24", "192.168.10.255/24", "192.168.10.2/31"]),
            ...strings(["router"], "192.168.10.1"),
            ...bad(["router"], [...BAD_IP, "10.0.0.1", "192.168.10.2"]),
            ...strings(["dnsServers", 0], "192.168.10.1"),
            ...bad(["dnsServers", 0], BAD_IP),
            ...strings(["domain"], "openstacklocal"),
            ...bad(["mtu"], [575, 9001, "1450;reboot"]),
            ...bad(["leaseTime"], [119, "86400"]),
        ],
    },
    DhcpLease: {
        base: { connection, network: "net1", serverAddress: "192.168.10.2/24", mac: "fa:16:3e:ff:aa:66", hostname: "cirros", ip: "192.168.10.168" },
        cases: [
            ...connectionCases(),
            ...strings(["network"], "net1"),
            ...strings(["serverAddress"], "192.168.10.2/24"),
            ...bad(["serverAddress"], BAD_CIDR),
            ...strings(["mac"], "fa:16:3e:ff:aa:66"),
            ...bad(["mac"], [...BAD_MAC, "01:00:5e:00:00:01"]),
            ...strings(["hostname"], "cirros"),
            ...bad(["hostname"], ["-cirros", "cirros-", "a".repeat(64), "192.168.10.5", "a_b", "a,b", "a/b"]),
            ...strings(["ip"], "192.168.10.168"),
            ...bad(["ip"], [...BAD_IP, "192.168.11.5", "192.168.10.0", "192.168.10.255", "192.168.10.2"]),
        ],
    },
    HostFile: {
        base: { connection, path: "/var/lib/dvrlab/dvrlt-file", source: "/tmp/dvrlt-source", sha256: "a".repeat(64) },
        cases: [
            ...connectionCases(),
            ...strings(["path"], "/var/lib/dvrlab/dvrlt-file"),
            ...bad(["path"], ["relative", "/", "/var/lib/../../etc/shadow", "/var/lib/dvrlab/./x"]),
            ...bad(["source"], ["relative/file", "/tmp/x\0y"]),
            ...strings(["sha256"], "a".repeat(64)),
            ...bad(["sha256"], ["a".repeat(63), "g".repeat(64)]),
            ...strings(["mode"], "0644"),
            ...bad(["mode"], ["0844", "644 ", "+x", "u+s", "04755x"]),
        ],
    },
    RouterNamespace: {
        base: { connection, owner, name: "qrouter-r1" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "qrouter-r1"),
            ...bad(["name"], ["a".repeat(64), "a/b", ".."]),
            ...bad(["ipForward"], ["true;reboot"]),
            ...bad(["arpIgnore"], [9, -1, "1;reboot"]),
            ...bad(["arpAnnounce"], [3, 1.5]),
        ],
    },
    RouterPort: {
        base: { connection, owner, name: "qr-0123456789a", namespace: "qrouter-r1", tag: 1, mac: "fa:16:3e:00:00:01", address: "192.168.10.1/24" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["bridge"], "br-int", { ifName: true }),
            ...strings(["name"], "qr-0123456789a", { ifName: true }),
            ...strings(["namespace"], "qrouter-r1"),
            ...bad(["tag"], BAD_VLAN),
            ...strings(["mac"], "fa:16:3e:00:00:01"),
            ...bad(["mac"], BAD_MAC),
            ...strings(["address"], "192.168.10.1/24"),
            ...bad(["address"], [...BAD_CIDR, "192.168.10.0/24", "192.168.10.255/24"]),
            ...bad(["mtu"], [575, 9001, "1450;reboot"]),
        ],
    },
    NetnsGuest: {
        base: { connection, owner, name: "vm-x", tap: "tap-x", mac: "fa:16:3e:ff:aa:66", address: "192.168.10.168/24" },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["name"], "vm-x"),
            ...strings(["tap"], "tap-x", { ifName: true }),
            ...strings(["bridge"], "qbr-x", { ifName: true }),
            ...strings(["guestIf"], "eth0", { ifName: true }),
            ...strings(["mac"], "fa:16:3e:ff:aa:66"),
            ...bad(["mac"], BAD_MAC),
            ...bad(["address"], BAD_CIDR),
            ...bad(["mtu"], [67, 65536, "1450", "1450;reboot"]),
            ...bad(["tap"], ["eth0"]),
        ],
    },
    HostPreflight: {
        base: { connection, tunnelIp: "172.30.124.68" },
        cases: [
            ...connectionCases(),
            ...bad(["connection", "become"], ["root", "sudo;reboot", "su", true]),
            ...bad(["tunnelIp"], BAD_IP),
            ...bad(["mtu"], [575, 9001, "1450", 1450.5]),
            ...bad(["vxlanPort"], BAD_PORT),
            ...bad(["needs", "dnsmasq"], ["yes", 1]),
            ...bad(["needs"], [{ ovs: true, docker: true }], {}, "needs"),
        ],
    },
    StaticNeighbors: {
        base: { connection, owner, namespace: "qrouter-r1", device: "qr-0123456789a", entries: [{ ip: "192.168.10.168", mac: "fa:16:3e:ff:aa:66" }] },
        cases: [
            ...connectionCases(),
            ...ownerCases(),
            ...strings(["namespace"], "qrouter-r1"),
            ...strings(["device"], "qr-0123456789a", { ifName: true }),
            ...strings(["entries", 0, "ip"], "192.168.10.168"),
            ...bad(["entries", 0, "ip"], BAD_IP),
            ...strings(["entries", 0, "mac"], "fa:16:3e:ff:aa:66"),
            ...bad(["entries", 0, "mac"], BAD_MAC),
            ...bad(["entries", 0], [{ ip: "192.168.10.5", mac: "fa:16:3e:ff:aa:66", dev: "eth0;reboot" }]),
            ...bad(["entries", 1, "ip"], ["192.168.10.168"], { entries: [{}, { mac: "fa:16:3e:ff:aa:67" }] }),
        ],
    },
};

describe("hostile and bad input: check refuses it in-process, naming the property, no host touched", function () {
    const reads: string[] = [];
    before(async () => {
        await configure({
            get: (k: string) => {
                reads.push(k);
                return undefined;
            },
        });
    });
    after(() => {
        assert.deepEqual(reads, [], "check read provider config (a connection attempt)");
    });

    it("every registered kind has a table of hostile cases", () => {
        const missing = Object.keys(kinds).filter((k) => !table[k]);
        assert.deepEqual(missing, [], `add hostile-input cases for ${missing.join(", ")} to test/hostile/check.test.ts`);
    });

    for (const [kind, { base, cases }] of Object.entries(table)) {
        describe(kind, () => {
            before(function () {
                if (!(kind in kinds)) this.skip(); // a kind not (yet) registered
            });

            it("accepts the valid base inputs, with 15-character names where names are interfaces", async () => {
                const r = await provider(kind, 1).check({}, base);
                assert.equal(r.failures, undefined, JSON.stringify(r.failures));
                const long = cases.filter((c) => c.label === JSON.stringify(SIXTEEN));
                for (const c of long) {
                    const p = JSON.parse(JSON.stringify(c.patch).replace(JSON.stringify(SIXTEEN), JSON.stringify(FIFTEEN)));
                    const r15 = await provider(kind, 1).check({}, merge(base, p));
                    assert.equal(r15.failures, undefined, `${c.property}=${FIFTEEN}: ${JSON.stringify(r15.failures)}`);
                }
            });

            it(`refuses ${cases.length} hostile or bad values, each naming its property`, async () => {
                const problems: string[] = [];
                for (const c of cases) {
                    const inputs = merge(base, c.patch);
                    const r = await provider(kind, 1).check({}, inputs);
                    const props = (r.failures ?? []).map((f: any) => f.property);
                    if (!props.length) problems.push(`${c.property} = ${c.label}: accepted`);
                    else if (!props.includes(c.property)) problems.push(`${c.property} = ${c.label}: failures name ${props.join(", ")} instead`);
                    else if ((r.failures ?? []).some((f: any) => !f.reason)) problems.push(`${c.property} = ${c.label}: a failure without a reason`);
                }
                assert.deepEqual(problems, [], `${kind}: ${problems.length} of ${cases.length} cases not refused correctly:\n  ${problems.join("\n  ")}`);
            });
        });
    }
});
