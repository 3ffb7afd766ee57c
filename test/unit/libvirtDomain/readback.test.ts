import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { libvirtDomainSchema } from "../../../provider/libvirtDomain/schema";
import { parseShowDomain, planUpdate, toInputs } from "../../../provider/libvirtDomain/planner";

// A lab host's running domain as showDomain printed it (test/fixtures/virsh-show-domain-running.txt),
// read back against the inputs that made it, and variants of that output.
const fixture = fs.readFileSync(path.join(__dirname, "../../fixtures/virsh-show-domain-running.txt"), "utf8");
const inputs = libvirtDomainSchema.parse({
    connection: { host: "172.30.124.233" },
    owner: "dvrlab:p/s",
    name: "dvrlt-fx",
    memoryMiB: 96,
    domainType: "qemu",
    boot: {
        kernel: "/var/lib/dvrlab/images/5f320213ae368894/vmlinux",
        initrd: "/var/lib/dvrlab/images/5f320213ae368894/initrd.img",
        cmdline: "console=ttyS0 root=/dev/vda quiet ipv6.disable=1",
    },
    disk: { base: "/var/lib/dvrlab/images/5f320213ae368894/base.qcow2" },
    interfaces: [{ bridge: "dvrlt-qbrfx", tap: "dvrlt-tapfx", mac: "fa:16:3e:ff:aa:66" }],
});
const show = (edit: (s: string) => string = (s) => s) => parseShowDomain(edit(fixture))!;

describe("LibvirtDomain read back from a lab host's domain", () => {
    it("the domain that the inputs made reads back as the inputs: nothing to update", () => {
        const st = show();
        const cur = toInputs(st, inputs);
        assert.deepEqual(cur, inputs);
        assert.deepEqual(planUpdate(cur, st, inputs), { restart: [], rebridge: [], reattach: [], owner: false, start: false, stop: false, resume: false });
    });

    it("domain type kvm reads as kvm; another type is shown as it is (drift, a restart)", () => {
        assert.equal(
            toInputs(
                show((s) => s.replace("<domain type='qemu'", "<domain type='kvm'")),
                inputs,
            ).domainType,
            "kvm",
        );
        const xen = show((s) => s.replace("<domain type='qemu'", "<domain type='xen'"));
        const cur = toInputs(xen, inputs);
        assert.equal(cur.domainType, "xen");
        assert.deepEqual(planUpdate(cur, xen, inputs).restart, ["domainType"]);
    });

    it("the tap's bridge: where the kernel says while running; the XML's when shut off; none when the tap is gone", () => {
        const moved = show((s) => s.replace('"master": "dvrlt-qbrfx"', '"master": "br-other"'));
        assert.equal(toInputs(moved, inputs).interfaces[0].bridge, "br-other");
        const p = planUpdate(toInputs(moved, inputs), moved, inputs);
        assert.deepEqual([p.rebridge, p.reattach], [[], [0]], "put back on its bridge, no restart");
        const noTap = show((s) => s.replace(/@@links\n.*\n/, "@@links\n[]\n"));
        assert.equal(toInputs(noTap, inputs).interfaces[0].bridge, "");
        const off = show((s) => s.replace("@@state\nrunning", "@@state\nshut off").replace(/@@links\n.*\n/, "@@links\n[]\n"));
        assert.equal(toInputs(off, inputs).interfaces[0].bridge, "dvrlt-qbrfx");
        assert.equal(toInputs(off, inputs).running, false);
        // the XML names another bridge: update-device, whatever the state
        const xmlBridge = show((s) => s.replace("<source bridge='dvrlt-qbrfx'/>", "<source bridge='qbr-x'/>"));
        assert.deepEqual(planUpdate(toInputs(xmlBridge, inputs), xmlBridge, inputs).rebridge, [0]);
        // an interface more than the domain has: a restart, not a rebridge
        const two = { ...inputs, interfaces: [...inputs.interfaces, { bridge: "b2", tap: "t2", mac: "fa:16:3e:00:00:02", model: "virtio" as const }] };
        assert.deepEqual(planUpdate(toInputs(show(), inputs), show(), two), {
            restart: ["interfaces"],
            rebridge: [],
            reattach: [],
            owner: false,
            start: false,
            stop: false,
            resume: false,
        });
    });

    it("paused and shut-off domains: resume, start and stop", () => {
        const paused = show((s) => s.replace("@@state\nrunning", "@@state\npaused"));
        const cur = toInputs(paused, inputs);
        assert.deepEqual(planUpdate(cur, paused, inputs), { restart: [], rebridge: [], reattach: [], owner: false, start: false, stop: false, resume: true });
        assert.deepEqual(planUpdate(cur, paused, { ...inputs, running: false }), {
            restart: [],
            rebridge: [],
            reattach: [],
            owner: false,
            start: false,
            stop: true,
            resume: false,
        });
        const off = show((s) => s.replace("@@state\nrunning", "@@state\nshut off"));
        assert.deepEqual(planUpdate(toInputs(off, inputs), off, { ...inputs, running: false }), {
            restart: [],
            rebridge: [],
            reattach: [],
            owner: false,
            start: false,
            stop: false,
            resume: false,
        });
    });

    it("disk: the backing file is the base; a disk path other than the default is kept; no disk in the XML, none in the inputs", () => {
        const otherPath = show((s) =>
            s.replace("<source file='/var/lib/libvirt/images/dvrlt-fx.qcow2' index='1'/>", "<source file='/srv/vm.qcow2' index='1'/>"),
        );
        assert.deepEqual(toInputs(otherPath, inputs).disk, {
            from: "overlay",
            base: "/var/lib/dvrlab/images/5f320213ae368894/base.qcow2",
            baseFormat: "qcow2",
            path: "/srv/vm.qcow2",
        });
        // a domain defined without a backing store (converted image): the stored base is kept
        const flat = show((s) => s.replace(/<backingStore type='file' index='2'>[\s\S]*?<\/backingStore>/, "<backingStore/>"));
        const converted = { ...inputs, disk: { ...inputs.disk!, from: "convert" as const, base: "/images/c.img", baseFormat: "raw" as const } };
        assert.deepEqual(toInputs(flat, converted).disk, { from: "convert", base: "/images/c.img", baseFormat: "raw" });
        // inputs without a disk, a domain with one: read as an overlay of its backing file
        const noDisk = { ...inputs, disk: undefined };
        assert.deepEqual(toInputs(show(), noDisk).disk, {
            from: "overlay",
            base: "/var/lib/dvrlab/images/5f320213ae368894/base.qcow2",
            baseFormat: "qcow2",
            path: "/var/lib/libvirt/images/dvrlt-fx.qcow2",
        });
        assert.deepEqual(toInputs(flat, noDisk).disk, {
            from: "overlay",
            base: "/var/lib/libvirt/images/dvrlt-fx.qcow2",
            baseFormat: "qcow2",
            path: "/var/lib/libvirt/images/dvrlt-fx.qcow2",
        });
        const diskless = show((s) => s.replace(/<disk type='file' device='disk'>[\s\S]*?<\/disk>\n/, ""));
        assert.equal("disk" in toInputs(diskless, inputs), false);
    });

    it("channel socket and console log: shown when set or not the default", () => {
        const moved = show((s) => s.replace("/var/lib/libvirt/qemu/dvrlt-fx.agent.sock", "/run/x.sock").replace(/dvrlt-fx-console\.log/g, "other.log"));
        const cur = toInputs(moved, inputs);
        assert.deepEqual([cur.channelSocket, cur.consoleLog], ["/run/x.sock", "/var/log/libvirt/qemu/other.log"]);
        assert.deepEqual(planUpdate(cur, moved, inputs).restart, ["channelSocket", "consoleLog"]);
        const explicit = { ...inputs, channelSocket: "/var/lib/libvirt/qemu/dvrlt-fx.agent.sock" };
        assert.equal(toInputs(show(), explicit).channelSocket, "/var/lib/libvirt/qemu/dvrlt-fx.agent.sock");
        const noChannel = show((s) => s.replace(/<serial type='unix'>[\s\S]*?<\/serial>\n/, ""));
        assert.equal(toInputs(noChannel, inputs).channelSocket, "");
    });
});
