import { strict as assert } from "assert";
import { evaluate, failureMessage, interfaceOf, parseProbes, probeCommand, versionAtLeast } from "../../../provider/hostPreflight/planner";
import { hostPreflightSchema } from "../../../provider/hostPreflight/schema";
import { remoteArgv } from "../../../provider/ssh/executor";

const spec = hostPreflightSchema.parse({ connection: { host: "192.0.2.10" }, needs: { dnsmasq: true, libvirt: true }, tunnelIp: "192.0.2.10" });
const addrs = JSON.stringify([
    { ifname: "lo", mtu: 65536, addr_info: [{ family: "inet", local: "127.0.0.1" }] },
    {
        ifname: "eth0",
        mtu: 1500,
        addr_info: [
            { family: "inet6", local: "fe80::1" },
            { family: "inet", local: "192.0.2.10" },
        ],
    },
]);
// What a Debian 12 host with everything installed prints (captured from a lab host, trimmed).
const healthy = () => ({
    uid: { rc: 0, out: "0" },
    ovs: { rc: 0, out: "ovs-vsctl (Open vSwitch) 3.1.0\nDB Schema 8.3.1" },
    ovsdb: { rc: 0, out: "[netdev, system]" },
    kmod: { rc: 0, out: "system" },
    ip: { rc: 0, out: "ip utility, iproute2-6.1.0, libbpf 1.1.2" },
    addrs: { rc: 0, out: addrs },
    iptables: { rc: 0, out: "iptables v1.8.9 (nf_tables)" },
    physdev: { rc: 0, out: "physdev match options:\n [!] --physdev-in inputname[+]" },
    brnf: { rc: 0, out: "1" },
    dnsmasq: { rc: 0, out: "Dnsmasq version 2.90  Copyright (c) 2000-2024 Simon Kelley" },
    virsh: { rc: 0, out: "9.0.0" },
    domcaps: { rc: 0, out: "<capabilities><guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>" },
    udp: { rc: 0, out: "" },
    vxlandev: { rc: 0, out: "[]" },
});
const failed = (r: ReturnType<typeof evaluate>) => r.findings.filter((f) => !f.ok);

describe("HostPreflight planner", () => {
    it("frames every probe's exit code and output, and parses them back", () => {
        const cmd = probeCommand(4789);
        assert.deepEqual(cmd.slice(0, 2), ["sh", "-c"]);
        assert.deepEqual(cmd.slice(3), ["sh", "4789"], "the port is an argument, never spliced into the script");
        const out = "@@dvrlab-probe uid 0\n0\n@@dvrlab-probe ovs 127\nsh: 1: ovs-vsctl: not found\n@@dvrlab-probe udp 0\n\n";
        assert.deepEqual(parseProbes(out), { uid: { rc: 0, out: "0" }, ovs: { rc: 127, out: "sh: 1: ovs-vsctl: not found" }, udp: { rc: 0, out: "" } });
    });

    it("passes a healthy host, with versions and the iptables backend", () => {
        const r = evaluate(healthy(), spec, "root");
        assert.deepEqual(failed(r), []);
        assert.deepEqual(r.versions, {
            iproute2: "6.1.0",
            openvswitch: "3.1.0",
            iptables: "1.8.9",
            iptablesBackend: "nf_tables",
            dnsmasq: "2.90",
            libvirt: "9.0.0",
        });
        assert.deepEqual(
            r.findings.map((f) => `${f.check}: ${f.detail}`),
            [
                "privilege: root",
                "iproute2: 6.1.0",
                "openvswitch: 3.1.0",
                "ovs datapaths: netdev, system",
                "iptables: 1.8.9 (nf_tables)",
                "iptables physdev: xt_physdev available",
                "bridge netfilter: bridge-nf-call-iptables=1",
                "dnsmasq: 2.90",
                "libvirt: 9.0.0",
                "libvirt domain types: qemu, kvm",
                "tunnel address: 192.0.2.10 on eth0",
                "underlay MTU: eth0 mtu 1500 ≥ 1450 + 50 (VXLAN)",
                "udp 4789: free",
            ],
        );
    });

    it("names a missing binary (exit 127) with the package to install", () => {
        const p = { ...healthy(), dnsmasq: { rc: 127, out: "sh: 1: dnsmasq: not found" } };
        assert.deepEqual(failed(evaluate(p, spec, "root")), [
            { check: "dnsmasq", ok: false, detail: "dnsmasq not found (exit 127)", fix: "install dnsmasq-base" },
        ]);
        const noVirsh = { ...healthy(), virsh: { rc: 127, out: "" } };
        assert.deepEqual(
            failed(evaluate(noVirsh, spec, "root")).map((f) => f.fix),
            ["install libvirt-clients and libvirt-daemon-system"],
            "domain types are not probed without virsh",
        );
        // a binary only the topology does not need is not checked
        const noNeed = hostPreflightSchema.parse({ ...spec, needs: { dnsmasq: false, libvirt: false } });
        assert.deepEqual(failed(evaluate({ ...healthy(), dnsmasq: { rc: 127, out: "" }, virsh: { rc: 127, out: "" } }, noNeed, "root")), []);
    });

    it("refuses versions below the minimum and unreadable ones", () => {
        const old = { ...healthy(), ovs: { rc: 0, out: "ovs-vsctl (Open vSwitch) 2.5.9" } };
        assert.deepEqual(failed(evaluate(old, spec, "root")), [
            { check: "openvswitch", ok: false, detail: "version 2.5.9 < 2.8", fix: "upgrade openvswitch-switch to 2.8 or later" },
        ]);
        assert.equal(versionAtLeast("2.8", "2.8"), true);
        assert.equal(versionAtLeast("2.10.1", "2.8"), true);
        assert.equal(versionAtLeast("2.7.99", "2.8"), false);
        assert.equal(versionAtLeast("10", "4.14"), true);
    });

    it("a non-root login without become: sudo is told what to set", () => {
        const p = { ...healthy(), uid: { rc: 0, out: "1000" } };
        assert.deepEqual(failed(evaluate(p, spec, "debian")), [
            {
                check: "privilege",
                ok: false,
                detail: "commands run as uid 1000 (debian), not root",
                fix: "set become: sudo for this host (and give debian passwordless sudo), or log in as root",
            },
        ]);
        const viaSudo = hostPreflightSchema.parse({ ...spec, connection: { host: "192.0.2.10", user: "debian", become: "sudo" } });
        assert.equal(evaluate(healthy(), viaSudo, "debian").findings[0].detail, "root through sudo as debian");
    });

    it("the tunnel address must be the host's, its interface must carry the MTU plus 50", () => {
        const other = hostPreflightSchema.parse({ ...spec, tunnelIp: "192.0.2.11" });
        assert.deepEqual(failed(evaluate(healthy(), other, "root")), [
            {
                check: "tunnel address",
                ok: false,
                detail: "192.0.2.11 is not an address of this host",
                fix: "set the host's tunnelIp (or address) to one of its own IPv4 addresses",
            },
        ]);
        const big = hostPreflightSchema.parse({ ...spec, mtu: 1451 });
        assert.deepEqual(failed(evaluate(healthy(), big, "root")), [
            { check: "underlay MTU", ok: false, detail: "eth0 mtu 1500 < 1451 + 50 (VXLAN)", fix: "raise eth0's MTU to 1501 or lower the network MTU to 1450" },
        ]);
        assert.deepEqual(interfaceOf(addrs, "192.0.2.10"), { ifname: "eth0", mtu: 1500 });
        assert.equal(interfaceOf(addrs, "fe80::1"), undefined, "IPv4 only");
        assert.equal(interfaceOf("not json", "192.0.2.10"), undefined);
    });

    it("OVS datapaths: the kernel one only with its module; none usable is a failure", () => {
        const noKmod = { ...healthy(), kmod: { rc: 1, out: "" } };
        assert.equal(evaluate(noKmod, spec, "root").findings[3].detail, "netdev (no openvswitch kernel module: userspace datapath)");
        const onlySystem = { ...noKmod, ovsdb: { rc: 0, out: "[system]" } };
        assert.deepEqual(failed(evaluate(onlySystem, spec, "root")), [
            { check: "ovs datapaths", ok: false, detail: "none usable (offered: system)", fix: "load the openvswitch kernel module (modprobe openvswitch)" },
        ]);
        const down = {
            ...healthy(),
            ovsdb: { rc: 1, out: "ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)" },
        };
        assert.equal(failed(evaluate(down, spec, "root"))[0].fix, "start Open vSwitch (systemctl start openvswitch-switch)");
    });

    it("bridge netfilter and physdev are required for security groups", () => {
        const p = {
            ...healthy(),
            brnf: { rc: 1, out: "cat: /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory" },
            physdev: { rc: 2, out: "iptables v1.8.9 (nf_tables): Couldn't load match `physdev'" },
        };
        assert.deepEqual(
            failed(evaluate(p, spec, "root")).map((f) => f.check),
            ["iptables physdev", "bridge netfilter"],
        );
    });

    it("UDP 4789: free or Open vSwitch's; anyone else's is named", () => {
        const ovsKernel = { ...healthy(), udp: { rc: 0, out: "UNCONN 0 0 0.0.0.0:4789 0.0.0.0:*" }, vxlandev: { rc: 0, out: '[{"ifname":"vxlan_sys_4789"}]' } };
        assert.equal(evaluate(ovsKernel, spec, "root").findings.at(-1)!.detail, "held by Open vSwitch");
        const foreignKernel = { ...ovsKernel, vxlandev: { rc: 0, out: '[{"ifname":"flannel.1"}]' } };
        assert.deepEqual(failed(evaluate(foreignKernel, spec, "root")), [
            {
                check: "udp 4789",
                ok: false,
                detail: "in use by a kernel vxlan device",
                fix: "free UDP 4789 (another VXLAN user) or give the topology another vxlanPort",
            },
        ]);
        const proc = { ...healthy(), udp: { rc: 0, out: 'UNCONN 0 0 0.0.0.0:4789 0.0.0.0:* users:(("socat",pid=77,fd=5))' } };
        assert.equal(failed(evaluate(proc, spec, "root"))[0].detail, "in use by socat");
    });

    it("the failure message names the host and every failed check with its fix", () => {
        assert.equal(failureMessage("root@h:22", evaluate(healthy(), spec, "root").findings), undefined);
        const p = { ...healthy(), uid: { rc: 0, out: "1000" }, dnsmasq: { rc: 127, out: "" } };
        assert.equal(
            failureMessage("debian@h:22", evaluate(p, spec, "debian").findings),
            "preflight failed on debian@h:22, nothing was changed:\n" +
                "  - privilege: commands run as uid 1000 (debian), not root; fix: set become: sudo for this host (and give debian passwordless sudo), or log in as root\n" +
                "  - dnsmasq: dnsmasq not found (exit 127); fix: install dnsmasq-base",
        );
    });
});

describe("the remote command line", () => {
    it("runs as root with root's PATH and a timeout; through sudo -n when the host asks", () => {
        assert.deepEqual(remoteArgv({}, ["ovs-vsctl", "show"], 60), [
            "env",
            "LC_ALL=C",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "timeout",
            "-k",
            "2",
            "60",
            "ovs-vsctl",
            "show",
        ]);
        assert.deepEqual(remoteArgv({ become: "sudo" }, ["ip", "-j", "link"], 5), [
            "sudo",
            "-n",
            "--",
            "env",
            "LC_ALL=C",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "timeout",
            "-k",
            "2",
            "5",
            "ip",
            "-j",
            "link",
        ]);
    });
});
