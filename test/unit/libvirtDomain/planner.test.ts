import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { libvirtDomainSchema } from "../../../provider/libvirtDomain/schema";
import {
    domainXml,
    interfaceXml,
    kvmOffered,
    kvmUsable,
    detectKvm,
    markXml,
    parseDomainXml,
    parseShowDomain,
    planDefine,
    planDirs,
    planDisk,
    planRemoveFiles,
    planUpdate,
    preflight,
    explainPreflight,
    toInputs,
    DomainState,
} from "../../../provider/libvirtDomain/planner";

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "../../fixtures", f), "utf8");

// The seed's cirros VM as the lab's guest boots it.
const seed = libvirtDomainSchema.parse({
    connection: { host: "172.30.124.233" },
    owner: "dvrlab:p/s",
    name: "cirros",
    memoryMiB: 96,
    boot: {
        kernel: "/var/lib/dvrlab/images/vmlinux",
        initrd: "/var/lib/dvrlab/images/initrd.img",
        cmdline: "console=ttyS0 root=/dev/vda quiet ipv6.disable=1",
    },
    disk: { base: "/var/lib/dvrlab/images/base.qcow2" },
    interfaces: [{ bridge: "qbr-cirros", tap: "tap-cirros", mac: "FA:16:3E:FF:AA:66" }],
});

const issues = (x: any) => {
    const r = libvirtDomainSchema.safeParse({ ...seed, ...x });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

function stateOf(xml: string, state = "running", taps: [string, string | undefined][] = [["tap-cirros", "qbr-cirros"]]): DomainState {
    return { state, domain: parseDomainXml(xml), taps: new Map(taps.map(([name, master]) => [name, { name, master, up: true }])) };
}

describe("LibvirtDomain planner", () => {
    it("generates the seed's domain: bridge interface with tap and MAC, overlay on vda, console log, channel socket", () => {
        const xml = domainXml(seed, { domainType: "qemu", diskCreated: true });
        const d = parseDomainXml(xml);
        assert.equal(d.type, "qemu");
        assert.equal(d.name, "cirros");
        assert.equal(d.memoryMiB, 96);
        assert.deepEqual(d.interfaces, [{ type: "bridge", bridge: "qbr-cirros", tap: "tap-cirros", mac: "fa:16:3e:ff:aa:66", model: "virtio" }]);
        assert.deepEqual(d.disk, { path: "/var/lib/libvirt/images/cirros.qcow2", format: "qcow2", backing: undefined, backingFormat: undefined });
        assert.equal(d.consoleLog, "/var/log/libvirt/qemu/cirros-console.log");
        assert.equal(d.channelSocket, "/var/lib/libvirt/qemu/cirros.agent.sock");
        assert.deepEqual(d.mark, { owner: "dvrlab:p/s", disk: "/var/lib/libvirt/images/cirros.qcow2", diskCreated: true });
        assert.match(xml, /<serial type="unix">\s*<source mode="bind" path="\/var\/lib\/libvirt\/qemu\/cirros.agent.sock"\/>\s*<target port="1"\/>/);
    });

    it("round trip: generated XML read back is the inputs", () => {
        const xml = domainXml(seed, { domainType: "qemu", diskCreated: true });
        assert.deepEqual(toInputs(stateOf(xml), seed), { ...seed, domainType: "qemu" });
        const stopped = toInputs(stateOf(xml, "shut off", []), seed);
        assert.equal(stopped.running, false);
        assert.deepEqual(stopped.interfaces, seed.interfaces, "a shut-off domain's bridge comes from its XML");
    });

    it("round trip through libvirt's own dumpxml (units in KiB, backing store, aliases, defaults added)", () => {
        const st = parseShowDomain(fixture("virsh-show-domain-running.txt"))!;
        assert.equal(st.state, "running");
        // what created it (lab server-64, the guest image under /var/lib/dvrlab/images/<version>/)
        const img = "/var/lib/dvrlab/images/5f320213ae368894";
        const want = libvirtDomainSchema.parse({
            ...seed,
            name: "dvrlt-fx",
            domainType: "qemu",
            boot: { kernel: `${img}/vmlinux`, initrd: `${img}/initrd.img`, cmdline: "console=ttyS0 root=/dev/vda quiet ipv6.disable=1" },
            disk: { base: `${img}/base.qcow2` },
            interfaces: [{ bridge: "dvrlt-qbrfx", tap: "dvrlt-tapfx", mac: "fa:16:3e:ff:aa:66" }],
        });
        assert.deepEqual(toInputs(st, want), want);
        assert.equal(st.domain.disk?.backing, `${img}/base.qcow2`);
        assert.equal(st.domain.uuid, "ebe2540b-ff55-4a2a-ac65-22a44776f31c");
        assert.deepEqual(st.domain.mark, { owner: "dvrlab:p/s", disk: "/var/lib/libvirt/images/dvrlt-fx.qcow2", diskCreated: true });
        assert.equal(parseShowDomain("@@absent\n"), undefined);
    });

    it("escapes what it puts in the XML instead of concatenating it", () => {
        const d = libvirtDomainSchema.parse({ ...seed, boot: { ...seed.boot, cmdline: `console=ttyS0 x="<a>&'b'"` } });
        const xml = domainXml(d, { domainType: "qemu", diskCreated: false });
        assert.ok(!xml.includes("<a>"), xml);
        assert.equal(parseDomainXml(xml).cmdline, `console=ttyS0 x="<a>&'b'"`);
    });

    it("writes the seed's domain exactly (the form virt-xml-validate accepts below, and lab hosts define)", () => {
        const want = [
            '<domain type="kvm">',
            "  <name>cirros</name>",
            "  <uuid>5a1c5a2e-53e7-4cb4-8d6e-0f3b0c2b9f11</uuid>",
            "  <metadata>",
            '    <dvrlab:domain xmlns:dvrlab="urn:dvrlab:libvirt-domain:1" owner="dvrlab:p/s" disk="/var/lib/libvirt/images/cirros.qcow2" diskCreated="yes"/>',
            "  </metadata>",
            '  <memory unit="MiB">96</memory>',
            "  <vcpu>1</vcpu>",
            "  <os>",
            "    <type>hvm</type>",
            "    <kernel>/var/lib/dvrlab/images/vmlinux</kernel>",
            "    <initrd>/var/lib/dvrlab/images/initrd.img</initrd>",
            "    <cmdline>console=ttyS0 root=/dev/vda quiet ipv6.disable=1</cmdline>",
            "  </os>",
            "  <features>",
            "    <acpi/>",
            "  </features>",
            "  <on_poweroff>destroy</on_poweroff>",
            "  <on_reboot>restart</on_reboot>",
            "  <on_crash>destroy</on_crash>",
            "  <devices>",
            '    <disk type="file" device="disk">',
            '      <driver name="qemu" type="qcow2"/>',
            '      <source file="/var/lib/libvirt/images/cirros.qcow2"/>',
            '      <target dev="vda" bus="virtio"/>',
            "    </disk>",
            '    <interface type="bridge">',
            '      <source bridge="qbr-cirros"/>',
            '      <target dev="tap-cirros"/>',
            '      <mac address="fa:16:3e:ff:aa:66"/>',
            '      <model type="virtio"/>',
            "    </interface>",
            '    <serial type="pty">',
            '      <log file="/var/log/libvirt/qemu/cirros-console.log" append="off"/>',
            '      <target port="0"/>',
            "    </serial>",
            '    <console type="pty">',
            '      <target type="serial" port="0"/>',
            "    </console>",
            '    <serial type="unix">',
            '      <source mode="bind" path="/var/lib/libvirt/qemu/cirros.agent.sock"/>',
            '      <target port="1"/>',
            "    </serial>",
            '    <controller type="usb" model="none"/>',
            '    <memballoon model="none"/>',
            "  </devices>",
            "</domain>",
            "",
        ].join("\n");
        assert.equal(domainXml(seed, { domainType: "kvm", uuid: "5a1c5a2e-53e7-4cb4-8d6e-0f3b0c2b9f11", diskCreated: true }), want);
    });

    it("reads a domain as virsh dumpxml prints it: KiB memory, a cdrom before vda, a backing store, the channel serial first, foreign metadata", () => {
        const xml = [
            "<domain type='kvm' id='3'>",
            "  <name>cirros</name>",
            "  <metadata><other:x xmlns:other='urn:someone'/></metadata>",
            "  <memory unit='KiB'>98304</memory>",
            "  <vcpu placement='static'>2</vcpu>",
            "  <os><type arch='x86_64' machine='pc'>hvm</type><cmdline/></os>",
            "  <devices>",
            "    <disk type='file' device='cdrom'><source file='/tmp/seed.iso'/><target dev='hdc' bus='ide'/></disk>",
            "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/c.qcow2'/>",
            "      <backingStore type='file'><format type='raw'/><source file='/images/base.img'/></backingStore><target dev='vdb' bus='virtio'/></disk>",
            "    <interface type='bridge'><mac address='FA:16:3E:FF:AA:66'/><source bridge='qbr-cirros'/><target dev='tap-cirros'/><model type='virtio'/></interface>",
            "    <interface type='network'><source network='default'/></interface>",
            "    <serial type='unix'><source mode='bind' path='/run/c.sock'/><target port='1'/></serial>",
            "    <serial type='pty'><log file='/var/log/c.log' append='off'/><target port='0'/></serial>",
            "  </devices>",
            "</domain>",
        ].join("\n");
        assert.deepEqual(parseDomainXml(xml), {
            type: "kvm",
            name: "cirros",
            uuid: undefined,
            memoryMiB: 96,
            vcpus: 2,
            kernel: undefined,
            initrd: undefined,
            cmdline: "",
            disk: { path: "/var/lib/libvirt/images/c.qcow2", format: "qcow2", backing: "/images/base.img", backingFormat: "raw" },
            interfaces: [
                { type: "bridge", bridge: "qbr-cirros", tap: "tap-cirros", mac: "fa:16:3e:ff:aa:66", model: "virtio" },
                { type: "network", bridge: undefined, tap: undefined, mac: undefined, model: undefined },
            ],
            consoleLog: "/var/log/c.log",
            channelSocket: "/run/c.sock",
            mark: { diskCreated: false },
        });
        const mem = (m: string) => parseDomainXml(`<domain type='qemu'><name>x</name>${m}</domain>`).memoryMiB;
        assert.equal(mem("<memory>98304</memory>"), 96, "no unit: KiB");
        assert.equal(mem("<memory unit='GiB'>1</memory>"), 1024);
        assert.equal(mem("<memory unit='M'>128</memory>"), 128);
        assert.equal(mem("<memory unit='bytes'>134217728</memory>"), 128);
        assert.equal(mem("<memory unit='MB'>1000</memory>"), 954);
        assert.throws(() => mem("<memory unit='TiB'>1</memory>"), /^Error: unknown memory unit TiB$/);
        assert.throws(() => parseDomainXml("<network><name>x</name></network>"), /^Error: not a libvirt domain XML$/);
        const bare = parseDomainXml("<domain type='qemu'><name>x</name><memory>1024</memory></domain>");
        assert.deepEqual(
            [bare.vcpus, bare.cmdline, bare.disk, bare.interfaces, bare.consoleLog, bare.channelSocket],
            [1, undefined, undefined, [], undefined, undefined],
        );
    });

    it("validates against libvirt's schema (virt-xml-validate)", function () {
        // scripts/setup.sh installs both (libvirt-clients, libxml2-utils): missing is a failure, never a skip
        assert.equal(
            spawnSync("sh", ["-c", "command -v virt-xml-validate && command -v xmllint"]).status,
            0,
            "virt-xml-validate or xmllint missing: run scripts/setup.sh",
        );
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlt-xml-"));
        try {
            for (const [i, d] of [seed, libvirtDomainSchema.parse({ ...seed, boot: {}, interfaces: [] })].entries()) {
                const f = path.join(dir, `d${i}.xml`);
                fs.writeFileSync(f, domainXml(d, { domainType: "kvm", uuid: "5a1c5a2e-53e7-4cb4-8d6e-0f3b0c2b9f11", diskCreated: true }));
                const r = spawnSync("virt-xml-validate", [f, "domain"], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr + r.stdout);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("creates the overlay (or the seed's convert) with qemu-img, and defines from stdin", () => {
        assert.deepEqual(planDisk(seed), [
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "/var/lib/dvrlab/images/base.qcow2", "/var/lib/libvirt/images/cirros.qcow2"],
        ]);
        const raw = libvirtDomainSchema.parse({
            ...seed,
            disk: { base: "/images/cirros.img", baseFormat: "raw", from: "convert", path: "/var/lib/libvirt/images/c.qcow2" },
        });
        assert.deepEqual(planDisk(raw), [["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", "/images/cirros.img", "/var/lib/libvirt/images/c.qcow2"]]);
        assert.deepEqual(planDefine(), ["virsh", "-q", "-c", "qemu:///system", "define", "/dev/stdin"]);
        assert.deepEqual(planDirs(seed), [["mkdir", "-p", "/var/lib/libvirt/images", "/var/lib/libvirt/qemu", "/var/log/libvirt/qemu"]]);
        assert.deepEqual(planRemoveFiles({ disk: "/d.qcow2", socket: "/s.sock", logs: ["/c.log", "/var/log/libvirt/qemu/cirros.log"] }), [
            ["rm", "-f", "--", "/d.qcow2"],
            ["sh", "-c", 'if [ -S "$1" ]; then rm -f -- "$1"; fi', "sh", "/s.sock"],
            ["rm", "-f", "--", "/c.log", "/var/log/libvirt/qemu/cirros.log"],
        ]);
    });

    it("preflight passes bridge, tap, base and disk as arguments and explains problems", () => {
        const argv = preflight(seed, { checkTaps: true, checkDisk: true });
        assert.deepEqual(argv.slice(3), [
            "sh",
            "bridge:qbr-cirros",
            "tap:tap-cirros",
            "base:/var/lib/dvrlab/images/base.qcow2",
            "disk:/var/lib/libvirt/images/cirros.qcow2",
            "file:/var/lib/dvrlab/images/vmlinux",
            "file:/var/lib/dvrlab/images/initrd.img",
            "cgroup:cirros",
        ]);
        assert.match(explainPreflight("missing-bridge qbr-cirros\n", "h").join(), /bridge qbr-cirros does not exist on h: create it first/);
        // the script itself, on this machine: a bridge that is not there, a base that is not there
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
        assert.equal(r.status, 0);
        assert.match(r.stdout, /^missing-bridge qbr-cirros$/m);
        assert.match(r.stdout, /^missing-base \/var\/lib\/dvrlab\/images\/base.qcow2$/m);
    });

    it("classifies an update: live (running, bridge, owner) vs restart (memory, MAC …)", () => {
        const xml = domainXml({ ...seed, domainType: "qemu" }, { domainType: "qemu", diskCreated: true });
        const st = stateOf(xml);
        const cur = toInputs(st, seed);
        const want = { ...seed, domainType: "qemu" as const };
        assert.deepEqual(planUpdate(cur, st, want), { restart: [], rebridge: [], reattach: [], owner: false, start: false, stop: false, resume: false });
        assert.deepEqual(planUpdate(cur, st, { ...want, memoryMiB: 128 }).restart, ["memoryMiB"]);
        assert.deepEqual(planUpdate(cur, st, { ...want, interfaces: [{ ...seed.interfaces[0], mac: "fa:16:3e:00:00:01" }] }).restart, ["interfaces"]);
        const moved = planUpdate(cur, st, { ...want, interfaces: [{ ...seed.interfaces[0], bridge: "qbr-other" }] });
        assert.deepEqual([moved.restart, moved.rebridge], [[], [0]]);
        // tap taken off its bridge by hand: put back, no restart
        const off = stateOf(xml, "running", [["tap-cirros", undefined]]);
        assert.deepEqual(planUpdate(toInputs(off, seed), off, want).reattach, [0]);
        assert.equal(planUpdate(cur, st, { ...want, running: false }).stop, true);
        const down = stateOf(xml, "shut off", []);
        assert.equal(planUpdate(toInputs(down, seed), down, want).start, true);
        assert.equal(planUpdate(cur, st, { ...want, owner: "dvrlab:p/t" }).owner, true);
    });

    it("interface and metadata fragments for update-device and metadata --set", () => {
        assert.equal(
            interfaceXml(seed.interfaces[0]),
            '<interface type="bridge">\n  <source bridge="qbr-cirros"/>\n  <target dev="tap-cirros"/>\n  <mac address="fa:16:3e:ff:aa:66"/>\n  <model type="virtio"/>\n</interface>\n',
        );
        assert.equal(
            markXml(seed, true),
            '<dvrlab:domain xmlns:dvrlab="urn:dvrlab:libvirt-domain:1" owner="dvrlab:p/s" disk="/var/lib/libvirt/images/cirros.qcow2" diskCreated="yes"/>\n',
        );
    });

    it("detects usable kvm: hardware virtualisation, /dev/kvm and libvirt's capabilities", () => {
        const caps = (domains: string) =>
            `<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>${domains}</arch></guest></capabilities>`;
        assert.equal(kvmOffered(caps("<domain type='qemu'/>")), false);
        assert.equal(kvmOffered(caps("<domain type='qemu'/><domain type='kvm'/>")), true);
        // this machine: paravirtual KVM (PVM), /dev/kvm opens and libvirt lists kvm, but no vmx/svm
        assert.equal(kvmOffered(fixture("virsh-capabilities-pvm.xml")), true);
        assert.equal(kvmUsable("@@nokvm\n"), false);
        assert.equal(kvmUsable(`@@kvm\n${fixture("virsh-capabilities-pvm.xml")}`), true);
        assert.equal(detectKvm()[2].includes("vmx|svm"), true);
    });

    it("check: names, paths, taps, MACs and something to boot", () => {
        assert.match(issues({ name: "a/b" }).join(), /^name:/);
        assert.match(issues({ interfaces: [{ bridge: "qbr-x", tap: "vnet0", mac: "fa:16:3e:00:00:01" }] }).join(), /interfaces.0.tap: libvirt reserves/);
        assert.match(issues({ interfaces: [{ bridge: "qbr-x", tap: "tap-x", mac: "01:16:3e:00:00:01" }] }).join(), /interfaces.0.mac: a multicast MAC/);
        assert.match(
            issues({ interfaces: [seed.interfaces[0], { ...seed.interfaces[0], tap: "tap-2" }] }).join(),
            /interfaces.1.mac: same mac as interfaces\[0\]/,
        );
        assert.match(issues({ boot: {}, disk: undefined }).join(), /boot: nothing to boot/);
        assert.match(issues({ disk: { base: "/var/lib/../etc/passwd" } }).join(), /disk.base: no '.' or '..'/);
        assert.match(issues({ consoleLog: "relative/log" }).join(), /consoleLog: an absolute path/);
        assert.match(issues({ boot: { cmdline: "x" } }).join(), /boot.kernel: initrd and cmdline need a kernel/);
        assert.match(issues({ memoryMiB: 8 }).join(), /^memoryMiB:/);
        assert.deepEqual(issues({}), []);
    });
});
