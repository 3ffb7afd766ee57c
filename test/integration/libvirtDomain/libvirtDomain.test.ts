// LibvirtDomain's provider in-process against a lab host's libvirtd (qemu TCG): create, read,
// drift (stopped, undefined, MAC changed, tap off its bridge), update live vs restart, delete.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { guestExec } from "../../../provider/guest/channel";
import {
    guestOnHost,
    guestSocket,
    HostGuest,
    hostCheck,
    hostSh,
    hostShInput,
    LAB,
    labIsUp,
    labProviderConfig,
    requireLab,
    labSsh,
    waitFor,
} from "../../helpers/lab";
import { NodeSSH } from "node-ssh";

const HOST = LAB["server-64"];
// Domain names are machine-wide in the lab (one cgroup tree): every name carries dvrlt + pid.
const id = process.pid % 10000;
const NAME = `dvrlt-d${id}`;
const QBR = `dvrlt-qbr${id}`;
const QBR2 = `dvrlt-qbs${id}`;
const TAP = `dvrlt-tap${id}`;
const MAC = "fa:16:3e:ff:aa:66";

const virsh = (...a: string[]) => hostSh(HOST, 'virsh -q -c qemu:///system "$@"', ...a);
const master = (dev: string) => hostSh(HOST, `ip -j link show dev "$1" | sed -n 's/.*"master":"\\([^"]*\\)".*/\\1/p'`, dev).stdout.trim();
const qemuPid = () => hostSh(HOST, 'cat "/run/libvirt/qemu/$1.pid" 2>/dev/null', NAME).stdout.trim();
const exists = (f: string) => hostSh(HOST, 'test -e "$1"', f).code === 0;
const strip = (o: any) => {
    const { dvrlabVersion: _v, ...rest } = o;
    return rest;
};

describe("LibvirtDomain provider on a lab host (libvirt + qemu TCG)", function () {
    this.timeout(180_000);
    const p = () => provider("LibvirtDomain", 1);
    let guest: HostGuest;
    let inputs: any;
    let outs: any;
    let ssh: NodeSSH | undefined;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        guest = await guestOnHost(HOST);
        hostCheck(HOST, 'for b; do ip link add "$b" type bridge forward_delay 0 stp_state 0 && ip link set "$b" up; done', QBR, QBR2);
        inputs = {
            connection: { host: HOST },
            owner: "dvrlab:itest/dev",
            name: NAME,
            memoryMiB: guest.memoryMiB,
            boot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
            disk: { base: guest.base },
            interfaces: [{ bridge: QBR, tap: TAP, mac: MAC }],
        };
        ssh = await labSsh(HOST);
    });

    after(async function () {
        if (!labIsUp) return;
        this.timeout(60_000);
        ssh?.dispose();
        // whatever a failed test left: the domain (ours by name), its files, the bridges
        hostSh(
            HOST,
            'virsh -q -c qemu:///system destroy "$1" 2>/dev/null; virsh -q -c qemu:///system undefine "$1" 2>/dev/null; rm -f "/var/lib/libvirt/images/$1.qcow2" "/var/log/libvirt/qemu/$1-console.log" "/var/log/libvirt/qemu/$1.log"',
            NAME,
        );
        hostSh(HOST, 'for b; do ip link del "$b" 2>/dev/null; done; true', QBR, QBR2);
        closeExecutor();
    });

    it("refuses a missing bridge before making anything", async () => {
        await assert.rejects(
            p().create({ ...inputs, interfaces: [{ bridge: "dvrlt-nobr", tap: TAP, mac: MAC }] }),
            /bridge dvrlt-nobr does not exist on .*create it first/,
        );
        assert.equal(virsh("dominfo", NAME).code, 1, "no domain defined");
        assert.ok(!exists(`/var/lib/libvirt/images/${NAME}.qcow2`), "no overlay made");
    });

    it("refuses a name that another lab host's libvirtd runs (the lab shares one cgroup tree)", async () => {
        const other = LAB["server-68"];
        const g = await guestOnHost(other);
        const o = await p().create({
            connection: { host: other },
            owner: "dvrlab:itest/dev",
            name: NAME,
            memoryMiB: g.memoryMiB,
            boot: { kernel: g.kernel, initrd: g.initrd, cmdline: g.cmdline },
        });
        try {
            await assert.rejects(p().create(inputs), /already runs on this machine under another libvirtd/);
            assert.equal(virsh("dominfo", NAME).code, 1, "nothing defined here");
        } finally {
            await p().delete("x", o.outs);
        }
    });

    it("creates: overlay on the base, defined, running, tap on the bridge, console log, command channel answers", async () => {
        const t0 = Date.now();
        const r = await p().create(inputs);
        const created = Date.now() - t0;
        outs = r.outs;
        assert.equal(r.id, `${HOST}/domain/${NAME}`);
        assert.equal(outs.state, "running");
        assert.equal(outs.domainType, "qemu", "no usable KVM here: detected TCG");
        assert.equal(outs.diskCreated, true);
        assert.equal(outs.diskPath, `/var/lib/libvirt/images/${NAME}.qcow2`);
        assert.equal(virsh("domstate", NAME).stdout.trim(), "running");
        assert.equal(master(TAP), QBR);
        const info = JSON.parse(hostCheck(HOST, 'qemu-img info -U --output=json "$1"', outs.diskPath));
        assert.equal(info["backing-filename"], guest.base);
        const sock = guestSocket(ssh!, outs.channelSocketPath, "server-64");
        const uptime = await waitFor(
            "the guest agent",
            60_000,
            async () => (await guestExec(sock, ["cat", "/proc/uptime"], { readyTimeoutMs: 60_000 })).stdout,
        );
        const mac = await guestExec(sock, ["cat", "/sys/class/net/eth0/address"]);
        assert.equal(mac.stdout.trim(), MAC);
        assert.match(hostCheck(HOST, 'cat "$1"', outs.consoleLogPath), /BusyBox v/, "the console log has what the guest printed");
        console.log(`      create ${created} ms; agent answered at guest uptime ${uptime.split(" ")[0]} s`);
    });

    it("read equals the inputs; no diff", async () => {
        const r = await p().read(outs.id, outs);
        assert.deepEqual(strip(r.props), strip(outs));
        assert.deepEqual(await p().diff("x", r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("drift: destroyed by hand reads as running=false; update starts it", async () => {
        virsh("destroy", NAME);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.running, false);
        assert.equal(r.props.state, "shut off");
        assert.equal((await p().diff("x", r.props, inputs)).changes, true);
        await p().update("x", r.props, inputs);
        assert.equal(virsh("domstate", NAME).stdout.trim(), "running");
        assert.equal(master(TAP), QBR);
    });

    it("drift: tap taken off its bridge reads as another bridge; update puts it back without a restart", async () => {
        const pid = qemuPid();
        hostCheck(HOST, 'ip link set dev "$1" nomaster', TAP);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.interfaces[0].bridge, "");
        await p().update("x", r.props, inputs);
        assert.equal(master(TAP), QBR);
        assert.equal(qemuPid(), pid, "same qemu");
    });

    it("a bridge change is live (update-device), a memory change restarts", async () => {
        let pid = qemuPid();
        const moved = { ...inputs, interfaces: [{ ...inputs.interfaces[0], bridge: QBR2 }] };
        assert.deepEqual(await p().diff("x", outs, moved), { changes: true, replaces: [], deleteBeforeReplace: false });
        outs = (await p().update("x", outs, moved)).outs;
        assert.equal(master(TAP), QBR2);
        assert.equal(qemuPid(), pid, "live: same qemu");
        assert.match(virsh("dumpxml", "--inactive", NAME).stdout, new RegExp(`<source bridge='${QBR2}'/>`), "and persistent");
        outs = (await p().update("x", outs, inputs)).outs;
        assert.equal(master(TAP), QBR);

        pid = qemuPid();
        const bigger = { ...inputs, memoryMiB: inputs.memoryMiB + 32 };
        outs = (await p().update("x", outs, bigger)).outs;
        assert.notEqual(qemuPid(), pid, "restarted");
        assert.equal(outs.state, "running");
        assert.match(virsh("dumpxml", NAME).stdout, new RegExp(`<memory unit='KiB'>${bigger.memoryMiB * 1024}</memory>`));
        outs = (await p().update("x", outs, inputs)).outs;
    });

    it("drift: MAC changed by hand reads back; update restores ours (restart)", async () => {
        const xml = virsh("dumpxml", "--inactive", NAME).stdout.replace(MAC, "52:54:00:12:34:56");
        assert.equal(hostShInput(HOST, xml, "virsh -q -c qemu:///system define /dev/stdin").code, 0);
        virsh("destroy", NAME);
        virsh("start", NAME);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.interfaces[0].mac, "52:54:00:12:34:56");
        outs = (await p().update("x", r.props, inputs)).outs;
        assert.match(virsh("dumpxml", NAME).stdout, new RegExp(`<mac address='${MAC}'/>`));
    });

    it("drift: undefined by hand reads as not running on our disk; update defines it again on that disk", async () => {
        virsh("destroy", NAME);
        virsh("undefine", NAME);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.running, false);
        assert.equal(r.props.state, "undefined");
        outs = (await p().update("x", r.props, inputs)).outs;
        assert.equal(outs.state, "running");
        assert.equal(outs.diskCreated, true);
    });

    it("create refuses a domain of that name owned by someone else; delete refuses it too", async () => {
        await assert.rejects(p().create({ ...inputs, owner: "dvrlab:other/stack" }), /exists and belongs to dvrlab:itest\/dev/);
        await assert.rejects(p().delete("x", { ...outs, owner: "dvrlab:other/stack" }), /not deleting/);
    });

    it("delete: destroy, undefine, only our overlay and files; the base stays; again is fine", async () => {
        await p().delete("x", outs);
        assert.equal(virsh("dominfo", NAME).code, 1);
        assert.ok(!exists(outs.diskPath), "overlay removed");
        assert.ok(!exists(outs.channelSocketPath), "socket removed");
        assert.ok(!exists(outs.consoleLogPath), "console log removed");
        assert.ok(!exists(`/var/log/libvirt/qemu/${NAME}.log`), "libvirt's log of the domain removed");
        assert.ok(exists(guest.base), "base untouched");
        assert.equal(hostSh(HOST, 'test -e "/sys/class/net/$1"', TAP).code, 1, "tap gone");
        await p().delete("x", outs);
        assert.deepEqual(await p().read("x", outs), {});
    });

    it("a disk it did not create is left alone", async () => {
        const own = `/var/lib/libvirt/images/${NAME}-own.qcow2`;
        hostCheck(HOST, 'qemu-img create -q -f qcow2 -F qcow2 -b "$2" "$1"', own, guest.base);
        try {
            // the disk exists already: create refuses rather than overwrite
            await assert.rejects(p().create({ ...inputs, disk: { base: guest.base, path: own } }), /already exists .* not overwriting/);
            assert.ok(exists(own));
        } finally {
            hostSh(HOST, 'rm -f "$1"', own);
        }
    });
});
