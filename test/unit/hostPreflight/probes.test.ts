import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { evaluate, failureMessage, parseProbes, probeCommand, versionAtLeast } from "../../../provider/hostPreflight/planner";
import { hostPreflightSchema } from "../../../provider/hostPreflight/schema";

// The probe script run for real by bash, each tool replaced by a shell function (a function wins
// over PATH, and the script prepends the system dirs to PATH, so stub binaries could not). dash (the
// hosts' sh) cannot name a function `ovs-vsctl`; the script itself is the one probeCommand returns.
const STUBS = String.raw`
id() { [ "$1" = -u ] && echo 0; }
ovs-vsctl() {
  case "$*" in
    --version) printf 'ovs-vsctl (Open vSwitch) 2.17.9\nDB Schema 8.3.0\n' ;;
    "--timeout=5 get Open_vSwitch . datapath_types") echo '[netdev, system]' ;;
    "--timeout=5 --format=json --columns=name,external_ids list Bridge")
      echo '{"data":[["br-int",["map",[["bridge-id","br-int"]]]],["br-tun",["map",[["dvrlab-owner","dvrlab:p/s"]]]]],"headings":["name","external_ids"]}' ;;
    *) echo "unexpected ovs-vsctl $*" >&2; return 9 ;;
  esac
}
test() { [ "$1 $2" = "-d /sys/module/openvswitch" ] || echo "unexpected test $*"; return 1; }
ip() {
  case "$*" in
    -V) echo 'ip utility, iproute2-5.10.0, libbpf 0.3.0' ;;
    "-j addr show") echo '[{"ifname":"ens3","mtu":1550,"addr_info":[{"family":"inet","local":"198.51.100.7"}]}]' ;;
    "-d -j link show type vxlan") echo '[]' ;;
    *) echo "unexpected ip $*" >&2; return 9 ;;
  esac
}
iptables() { if [ "$1" = --version ]; then echo 'iptables v1.8.7 (legacy)'; else echo 'iptables v1.8.7 (legacy): Couldn'"'"'t load match physdev'; return 2; fi; }
cat() { echo "cat: $1: No such file or directory" >&2; return 1; }
dnsmasq() { echo 'sh: 1: dnsmasq: not found' >&2; return 127; }
virsh() { if [ "$1" = --version ]; then echo 10.0.0; else echo "error: failed to connect to the hypervisor"; echo "error: no socket"; return 1; fi; }
ss() { [ "$2" = "sport = :4790" ] && echo 'UNCONN 0 0 0.0.0.0:4790 0.0.0.0:* users:(("socat",pid=77,fd=5))'; }
`;

const runProbes = (port: number) => {
    const argv = probeCommand(port);
    assert.deepEqual([argv[0], argv[1], argv[3]], ["sh", "-c", "sh"]);
    const r = spawnSync("bash", ["-c", STUBS + argv[2], ...argv.slice(3)], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
};

describe("HostPreflight probe script, run against stub tools", () => {
    it("records every probe's exit code and output (stderr too) under its name", () => {
        const probes = parseProbes(runProbes(4790));
        assert.deepEqual(probes, {
            uid: { rc: 0, out: "0" },
            ovs: { rc: 0, out: "ovs-vsctl (Open vSwitch) 2.17.9\nDB Schema 8.3.0" },
            ovsdb: { rc: 0, out: "[netdev, system]" },
            kmod: { rc: 1, out: "" },
            ip: { rc: 0, out: "ip utility, iproute2-5.10.0, libbpf 0.3.0" },
            addrs: { rc: 0, out: '[{"ifname":"ens3","mtu":1550,"addr_info":[{"family":"inet","local":"198.51.100.7"}]}]' },
            iptables: { rc: 0, out: "iptables v1.8.7 (legacy)" },
            physdev: { rc: 2, out: "iptables v1.8.7 (legacy): Couldn't load match physdev" },
            brnf: { rc: 1, out: "cat: /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory" },
            dnsmasq: { rc: 127, out: "sh: 1: dnsmasq: not found" },
            virsh: { rc: 0, out: "10.0.0" },
            domcaps: { rc: 1, out: "error: failed to connect to the hypervisor\nerror: no socket" },
            udp: { rc: 0, out: 'UNCONN 0 0 0.0.0.0:4790 0.0.0.0:* users:(("socat",pid=77,fd=5))' },
            vxlandev: { rc: 0, out: "[]" },
            bridges: {
                rc: 0,
                out: '{"data":[["br-int",["map",[["bridge-id","br-int"]]]],["br-tun",["map",[["dvrlab-owner","dvrlab:p/s"]]]]],"headings":["name","external_ids"]}',
            },
        });
    });

    it("turns that host's probes into findings with versions and fixes", () => {
        const spec = hostPreflightSchema.parse({
            connection: { host: "198.51.100.7" },
            needs: { dnsmasq: true, libvirt: true },
            tunnelIp: "198.51.100.7",
            mtu: 1500,
            vxlanPort: 4790,
            bridges: [{ name: "br-int" }, { name: "br-tun" }],
        });
        const r = evaluate(parseProbes(runProbes(4790)), spec, "root");
        assert.deepEqual(r.versions, { iproute2: "5.10.0", openvswitch: "2.17.9", iptables: "1.8.7", iptablesBackend: "legacy", libvirt: "10.0.0" });
        assert.deepEqual(
            r.findings.map((f) => `${f.ok ? "ok" : "FAIL"} ${f.check}: ${f.detail}${f.fix ? ` | ${f.fix}` : ""}`),
            [
                "ok privilege: root",
                "ok iproute2: 5.10.0",
                "ok openvswitch: 2.17.9",
                "ok ovs datapaths: netdev (no openvswitch kernel module: userspace datapath)",
                "ok iptables: 1.8.7 (legacy)",
                "FAIL iptables physdev: the physdev match is not available | modprobe xt_physdev (kernel module) or install the iptables extensions",
                "FAIL bridge netfilter: /proc/sys/net/bridge is missing: br_netfilter is not loaded | modprobe br_netfilter (and add it to /etc/modules-load.d)",
                "FAIL dnsmasq: dnsmasq not found (exit 127) | install dnsmasq-base",
                "ok libvirt: 10.0.0",
                "FAIL libvirt domain types: libvirtd not reachable: error: failed to connect to the hypervisor | start libvirtd and install qemu-system-x86",
                "ok tunnel address: 198.51.100.7 on ens3",
                "ok underlay MTU: ens3 mtu 1550 ≥ 1500 + 50 (VXLAN)",
                "FAIL udp 4790: in use by socat | free UDP 4790 (another VXLAN user) or give the topology another vxlanPort",
                "FAIL bridge br-int: br-int exists and dvrlab did not create it (no external_ids:dvrlab-owner); dvrlab never takes over a bridge it was not asked to | " +
                    "to use it, list it in this host's adopt (topology hosts[].adopt: [br-int]; destroy then leaves it, removing only what dvrlab added), or remove it, or give the host other bridge names",
            ],
        );
    });
});

const spec = hostPreflightSchema.parse({ connection: { host: "192.0.2.10" }, needs: { dnsmasq: true, libvirt: true } });
const base = (): Record<string, { rc: number; out: string }> => ({
    uid: { rc: 0, out: "0" },
    ovs: { rc: 0, out: "ovs-vsctl (Open vSwitch) 3.1.0" },
    ovsdb: { rc: 0, out: "[netdev, system]" },
    kmod: { rc: 0, out: "system" },
    ip: { rc: 0, out: "ip utility, iproute2-6.1.0" },
    iptables: { rc: 0, out: "iptables v1.8.9 (nf_tables)" },
    physdev: { rc: 0, out: "physdev match options:" },
    brnf: { rc: 0, out: "1" },
    dnsmasq: { rc: 0, out: "Dnsmasq version 2.90  Copyright (c) 2000-2024 Simon Kelley" },
    virsh: { rc: 0, out: "9.0.0" },
    domcaps: { rc: 0, out: "<domain type='qemu'/>" },
    udp: { rc: 0, out: "" },
});
/** The finding of one check, as "ok|FAIL detail | fix". */
const finding = (p: Record<string, { rc: number; out: string } | undefined>, check: string, s = spec, user = "root") => {
    const f = evaluate(p as any, s, user).findings.filter((x) => x.check === check);
    return f.map((x) => `${x.ok ? "ok" : "FAIL"} ${x.detail}${x.fix ? ` | ${x.fix}` : ""}`).join(" / ");
};

describe("HostPreflight parsing and evaluation, edge cases", () => {
    it("parseProbes: ignores lines before the first frame, keeps inner blank lines, drops trailing ones", () => {
        assert.deepEqual(parseProbes("motd line\n@@dvrlab-probe ovs 0\na\n\nb\n\n\n@@dvrlab-probe udp 141\nx\n"), {
            ovs: { rc: 0, out: "a\n\nb" },
            udp: { rc: 141, out: "x" },
        });
        assert.deepEqual(parseProbes("@@dvrlab-probe ovs 0\n@@dvrlab-probe ovs x\n"), { ovs: { rc: 0, out: "@@dvrlab-probe ovs x" } });
    });

    it("versionAtLeast: a shorter version is padded with zeros on both sides", () => {
        assert.equal(versionAtLeast("2.8", "2.8.1"), false);
        assert.equal(versionAtLeast("2.8.0", "2.8"), true);
        assert.equal(versionAtLeast("2.9", "2.8.5"), true);
        assert.equal(versionAtLeast("4.13.99", "4.14"), false);
    });

    it("a missing, failing or unreadable tool", () => {
        const p = base();
        assert.equal(finding({ ...p, ip: undefined }, "iproute2"), "FAIL ip not found (exit none) | install iproute2");
        assert.equal(
            finding({ ...p, ovs: { rc: 1, out: "bash: ovs-vsctl: command not found" } }, "openvswitch"),
            "FAIL ovs-vsctl not found (exit 1) | install openvswitch-switch",
        );
        assert.equal(
            finding({ ...p, ovs: { rc: 1, out: "ovs-vsctl: fatal\nsecond line" } }, "openvswitch"),
            "FAIL ovs --version failed (exit 1): ovs-vsctl: fatal | repair the openvswitch-switch installation",
        );
        assert.equal(
            finding({ ...p, ip: { rc: 0, out: "ip utility, unknown\nmore" } }, "iproute2"),
            "FAIL cannot read the version from: ip utility, unknown | install iproute2",
        );
        assert.equal(
            finding({ ...p, virsh: { rc: 0, out: "libvirt 9.0.0" } }, "libvirt"),
            "FAIL cannot read the version from: libvirt 9.0.0 | install libvirt-clients and libvirt-daemon-system",
        );
        assert.equal(
            finding({ ...p, dnsmasq: { rc: 0, out: "Dnsmasq version 2.69  Copyright" } }, "dnsmasq"),
            "FAIL version 2.69 < 2.70 | upgrade dnsmasq-base to 2.70 or later",
        );
    });

    it("reads the version formats of the distributions' tools", () => {
        const p = base();
        assert.equal(finding({ ...p, ip: { rc: 0, out: "ip utility, iproute2-ss200127" } }, "iproute2"), "ok 200127");
        assert.equal(finding({ ...p, ip: { rc: 0, out: "ip utility, iproute2-v5.9.0" } }, "iproute2"), "ok 5.9.0");
        assert.equal(
            finding({ ...p, ip: { rc: 0, out: "ip utility, iproute2-4.9.0" } }, "iproute2"),
            "FAIL version 4.9.0 < 4.14 | upgrade iproute2 to 4.14 or later",
        );
        assert.equal(finding({ ...p, virsh: { rc: 0, out: "8.10.0" } }, "libvirt"), "ok 8.10.0");
        assert.equal(finding({ ...p, dnsmasq: { rc: 0, out: "Dnsmasq version 2.80.1" } }, "dnsmasq"), "ok 2.80.1");
        assert.equal(finding({ ...p, iptables: { rc: 0, out: "iptables v1.8.10 (legacy)" } }, "iptables"), "ok 1.8.10 (legacy)");
        assert.equal(finding({ ...p, iptables: { rc: 0, out: "iptables v1.6.1" } }, "iptables"), "ok 1.6.1 (legacy)");
        assert.deepEqual(evaluate({ ...p, iptables: { rc: 0, out: "iptables v1.6.1" } }, spec, "root").versions.iptablesBackend, "legacy");
    });

    it("privilege: uid 0 only from a successful id; unknown uid shown as ?", () => {
        const p = base();
        assert.equal(finding({ ...p, uid: { rc: 0, out: " 0 \n" } }, "privilege"), "ok root");
        assert.equal(
            finding({ ...p, uid: { rc: 1, out: "0" } }, "privilege", spec, "ops"),
            "FAIL commands run as uid 0 (ops), not root | set become: sudo for this host (and give ops passwordless sudo), or log in as root",
        );
        assert.equal(
            finding({ ...p, uid: undefined }, "privilege", spec, "ops"),
            "FAIL commands run as uid ? (ops), not root | set become: sudo for this host (and give ops passwordless sudo), or log in as root",
        );
        assert.equal(finding({ ...p, uid: { rc: 0, out: "  " } }, "privilege", spec, "ops").startsWith("FAIL commands run as uid ? (ops)"), true);
    });

    it("OVS: only checked when needed; datapaths only when ovs-vsctl exists", () => {
        const p = base();
        const noOvs = hostPreflightSchema.parse({ ...spec, needs: { ovs: false } });
        assert.deepEqual(
            evaluate({ ...p, ovs: { rc: 127, out: "" } }, noOvs, "root").findings.map((f) => f.check),
            ["privilege", "iproute2", "iptables", "iptables physdev", "bridge netfilter", "udp 4789"],
        );
        assert.deepEqual(
            evaluate({ ...p, ovs: { rc: 127, out: "" } }, spec, "root").findings.map((f) => f.check),
            [
                "privilege",
                "iproute2",
                "openvswitch",
                "iptables",
                "iptables physdev",
                "bridge netfilter",
                "dnsmasq",
                "libvirt",
                "libvirt domain types",
                "udp 4789",
            ],
        );
        assert.equal(
            finding({ ...p, ovsdb: undefined }, "ovs datapaths"),
            "FAIL ovsdb not reachable:  | start Open vSwitch (systemctl start openvswitch-switch)",
        );
        assert.equal(
            finding({ ...p, ovsdb: { rc: 1, out: "ovs-vsctl: no db\nline 2" } }, "ovs datapaths"),
            "FAIL ovsdb not reachable: ovs-vsctl: no db | start Open vSwitch (systemctl start openvswitch-switch)",
        );
        assert.equal(
            finding({ ...p, ovsdb: { rc: 0, out: "[]" } }, "ovs datapaths"),
            "FAIL none usable (offered: none) | load the openvswitch kernel module (modprobe openvswitch)",
        );
        assert.equal(finding({ ...p, ovsdb: { rc: 0, out: "[system]" } }, "ovs datapaths"), "ok system");
        assert.equal(
            finding({ ...p, ovsdb: { rc: 0, out: "[dummy, system]" }, kmod: undefined }, "ovs datapaths"),
            "FAIL none usable (offered: dummy, system) | load the openvswitch kernel module (modprobe openvswitch)",
        );
        assert.equal(
            finding({ ...p, ovsdb: { rc: 0, out: "[ netdev ,\tsystem ]" }, kmod: undefined }, "ovs datapaths"),
            "ok netdev (no openvswitch kernel module: userspace datapath)",
        );
    });

    it("iptables: backend only on a readable version; physdev only when iptables exists; bridge netfilter value", () => {
        const p = base();
        assert.equal(
            finding({ ...p, iptables: { rc: 4, out: "iptables: lock\nx" } }, "iptables"),
            "FAIL iptables --version failed (exit 4): iptables: lock | repair the iptables installation",
        );
        assert.deepEqual(
            evaluate({ ...p, iptables: { rc: 127, out: "" } }, spec, "root")
                .findings.filter((f) => !f.ok)
                .map((f) => f.check),
            ["iptables"],
        );
        assert.equal(
            finding({ ...p, physdev: { rc: 0, out: "iptables v1.8.9: unknown option" } }, "iptables physdev"),
            "FAIL the physdev match is not available | modprobe xt_physdev (kernel module) or install the iptables extensions",
        );
        assert.equal(finding({ ...p, physdev: undefined }, "iptables physdev").startsWith("FAIL"), true);
        assert.equal(finding({ ...p, brnf: { rc: 0, out: "0\n" } }, "bridge netfilter"), "ok bridge-nf-call-iptables=0");
        assert.equal(finding({ ...p, brnf: undefined }, "bridge netfilter").startsWith("FAIL /proc/sys/net/bridge is missing"), true);
        const noIpt = hostPreflightSchema.parse({ ...spec, needs: { iptables: false } });
        assert.deepEqual(
            evaluate(Object.fromEntries(Object.entries({ ...p, iptables: { rc: 127, out: "" } }).filter(([k]) => k !== "brnf")), noIpt, "root").findings.map(
                (f) => f.check,
            ),
            ["privilege", "iproute2", "openvswitch", "ovs datapaths", "udp 4789"],
        );
    });

    it("libvirt domain types: kvm or qemu needed, each named once; not probed when virsh fails", () => {
        const p = base();
        const caps = "<domain type='qemu'/><domain type=\"kvm\"/><domain type='qemu'/><domain type='xen'/>";
        assert.equal(finding({ ...p, domcaps: { rc: 0, out: caps } }, "libvirt domain types"), "ok qemu, kvm, xen");
        assert.equal(finding({ ...p, domcaps: { rc: 0, out: "<domain type='xen'/><domain type='kvm'/>" } }, "libvirt domain types"), "ok xen, kvm");
        assert.equal(finding({ ...p, domcaps: { rc: 0, out: "<domain type='kvm'/>" } }, "libvirt domain types"), "ok kvm");
        assert.equal(
            finding({ ...p, domcaps: { rc: 0, out: "<domain type='xen'/>" } }, "libvirt domain types"),
            "FAIL no qemu or kvm domain type | start libvirtd and install qemu-system-x86",
        );
        assert.equal(
            finding({ ...p, domcaps: { rc: 1, out: "<domain type='kvm'/>" } }, "libvirt domain types"),
            "FAIL libvirtd not reachable: <domain type='kvm'/> | start libvirtd and install qemu-system-x86",
        );
        assert.equal(
            finding({ ...p, domcaps: undefined }, "libvirt domain types"),
            "FAIL libvirtd not reachable:  | start libvirtd and install qemu-system-x86",
        );
        assert.equal(finding({ ...p, virsh: { rc: 1, out: "virsh: broken" } }, "libvirt domain types"), "");
    });

    it("tunnel address: not checked without tunnelIp; a host without ip -j addr output has none", () => {
        const p = base();
        assert.equal(finding(p, "tunnel address"), "");
        const withTunnel = hostPreflightSchema.parse({ ...spec, tunnelIp: "192.0.2.10" });
        assert.equal(
            finding(p, "tunnel address", withTunnel),
            "FAIL 192.0.2.10 is not an address of this host | set the host's tunnelIp (or address) to one of its own IPv4 addresses",
        );
        const addrs = JSON.stringify([
            { ifname: "lo", mtu: 65536 },
            { ifname: "eth1", mtu: "9000", addr_info: [{ family: "inet", local: "192.0.2.10" }] },
        ]);
        assert.equal(finding({ ...p, addrs: { rc: 0, out: addrs } }, "underlay MTU", withTunnel), "ok eth1 mtu 9000 ≥ 1450 + 50 (VXLAN)");
    });

    it("UDP port: ss failing is not a failure; blank lines are no sockets; several holders are all named", () => {
        const p = base();
        assert.equal(finding({ ...p, udp: undefined }, "udp 4789"), "ok not checked (ss failed)");
        assert.equal(finding({ ...p, udp: { rc: 1, out: "ss: bad" } }, "udp 4789"), "ok not checked (ss failed)");
        assert.equal(finding({ ...p, udp: { rc: 0, out: "  \n\t" } }, "udp 4789"), "ok free");
        const ovs = 'UNCONN 0 0 0.0.0.0:4789 0.0.0.0:* users:(("ovs-vswitchd",pid=9,fd=40))';
        assert.equal(finding({ ...p, udp: { rc: 0, out: ovs } }, "udp 4789"), "ok held by Open vSwitch");
        const kernel = "UNCONN 0 0 0.0.0.0:4789 0.0.0.0:*";
        const socat = 'UNCONN 0 0 [::]:4789 [::]:* users:(("socat",pid=7,fd=3))';
        assert.equal(
            finding({ ...p, udp: { rc: 0, out: `${ovs}\n${socat}\n${kernel}` } }, "udp 4789"),
            "FAIL in use by socat, a kernel vxlan device | free UDP 4789 (another VXLAN user) or give the topology another vxlanPort",
        );
        assert.equal(
            finding({ ...p, udp: { rc: 0, out: `${kernel}\n${socat}` }, vxlandev: { rc: 0, out: '[{"ifname":"vxlan_sys_4789"}]' } }, "udp 4789"),
            "FAIL in use by socat | free UDP 4789 (another VXLAN user) or give the topology another vxlanPort",
        );
        assert.equal(finding({ ...p, udp: { rc: 0, out: kernel }, vxlandev: undefined }, "udp 4789").startsWith("FAIL in use by a kernel vxlan device"), true);
        assert.equal(
            finding({ ...p, udp: { rc: 0, out: kernel }, vxlandev: { rc: 0, out: '[{"ifname":"vxlan_sys_4790"}]' } }, "udp 4789").startsWith("FAIL"),
            true,
        );
    });

    it("failureMessage: a finding without a fix has no fix part", () => {
        assert.equal(
            failureMessage("h", [
                { check: "a", ok: false, detail: "b" },
                { check: "c", ok: true, detail: "d" },
            ]),
            "preflight failed on h, nothing was changed:\n  - a: b",
        );
    });
});

describe("HostPreflight: the stack's bridges against the host's", () => {
    const list = (rows: [string, [string, string][]][]) => ({
        rc: 0,
        out: JSON.stringify({ data: rows.map(([n, ids]) => [n, ["map", ids]]), headings: ["name", "external_ids"] }),
    });
    const withBridges = (bridges: { name: string; adopt?: boolean }[]) => hostPreflightSchema.parse({ connection: { host: "192.0.2.10" }, bridges });
    const lines = (probe: { rc: number; out: string }, s: ReturnType<typeof withBridges>) =>
        evaluate({ ...base(), bridges: probe }, s, "root")
            .findings.filter((f) => f.check === "bridges" || f.check.startsWith("bridge br"))
            .map((f) => `${f.ok ? "ok" : "FAIL"} ${f.check}: ${f.detail}`);

    it("absent, marked by dvrlab or adopted pass; an unmarked one fails naming it; the other one still passes", () => {
        const host = list([
            ["br-int", [["bridge-id", "br-int"]]],
            ["br-tun", [["dvrlab-owner", "dvrlab:p/s"]]],
        ]);
        assert.deepEqual(lines(host, withBridges([{ name: "br-int", adopt: true }, { name: "br-tun" }, { name: "br-x" }])), [
            "ok bridges: br-int exists, adopted, br-tun marked by dvrlab:p/s, br-x absent",
        ]);
        assert.deepEqual(lines(host, withBridges([{ name: "br-int" }, { name: "br-tun" }])), [
            "FAIL bridge br-int: br-int exists and dvrlab did not create it (no external_ids:dvrlab-owner); dvrlab never takes over a bridge it was not asked to",
        ]);
    });

    it("no bridges asked: no finding; ovsdb unreachable: left to the datapath check", () => {
        assert.deepEqual(lines(list([["br-int", []]]), withBridges([])), []);
        assert.deepEqual(lines({ rc: 1, out: "ovs-vsctl: unix:/run/openvswitch/db.sock: database connection failed" }, withBridges([{ name: "br-int" }])), []);
    });
});
