import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { explainPreflight, kvmOffered, parseShowDomain, planRemoveFiles, preflight, showDomain } from "../../../provider/libvirtDomain/planner";
import { libvirtDomainSchema } from "../../../provider/libvirtDomain/schema";

// The host-side scripts run for real by sh: showDomain against a stub `virsh` and `ip` first on
// PATH (printing what a lab host printed, test/fixtures/virsh-show-domain-running.txt), preflight
// and the socket removal against temp files and this machine's /sys/class/net.

const fixture = fs.readFileSync(path.join(__dirname, "../../fixtures/virsh-show-domain-running.txt"), "utf8");
const between = (a: string, b?: string) => fixture.slice(fixture.indexOf(a) + a.length + 1, b ? fixture.indexOf(b) : undefined);

describe("LibvirtDomain host scripts, run by sh", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlab-virt-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Stub virsh: `domstate`/`dumpxml` print $STATE_OUT/$XML_OUT files and exit $STATE_RC/$XML_RC; every call is logged. */
    function stubs() {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(dir, "xml"), between("@@xml"));
        fs.writeFileSync(path.join(dir, "links"), between("@@links", "@@xml"));
        fs.writeFileSync(
            path.join(bin, "virsh"),
            `#!/bin/sh\necho "$*" >>"${dir}/calls"\ncase $4 in domstate) cat "${dir}/state"; exit $(cat "${dir}/state_rc");; dumpxml) cat "${dir}/xml" "${dir}/xml_err" 2>/dev/null; exit $(cat "${dir}/xml_rc");; esac\nexit 9\n`,
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(bin, "ip"), `#!/bin/sh\n[ "$*" = "-d -j link show type tun" ] && cat "${dir}/links"\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "state"), "running\n");
        fs.writeFileSync(path.join(dir, "state_rc"), "0");
        fs.writeFileSync(path.join(dir, "xml_rc"), "0");
        return (name: string) => {
            const argv = showDomain(name);
            return spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 20_000 });
        };
    }

    it("showDomain: state, the host's taps and the domain XML in one round trip", () => {
        const show = stubs();
        const r = show("dvrlt-fx");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "calls"), "utf8"), "-q -c qemu:///system domstate dvrlt-fx\n-q -c qemu:///system dumpxml dvrlt-fx\n");
        const st = parseShowDomain(r.stdout)!;
        assert.equal(st.state, "running");
        assert.deepEqual([...st.taps.values()], [{ name: "dvrlt-tapfx", master: "dvrlt-qbrfx", up: true }]);
        assert.deepEqual([st.domain.name, st.domain.type, st.domain.memoryMiB, st.domain.mark.owner], ["dvrlt-fx", "qemu", 96, "dvrlab:p/s"]);
    });

    it("showDomain: a domain libvirt does not know is absent, whichever call says so; other errors fail with virsh's message", () => {
        const show = stubs();
        fs.writeFileSync(path.join(dir, "state"), "error: failed to get domain 'dvrlt-fx'\n");
        fs.writeFileSync(path.join(dir, "state_rc"), "1");
        const absent = show("dvrlt-fx");
        assert.deepEqual([absent.status, absent.stdout], [0, "@@absent\n"]);
        assert.equal(parseShowDomain(absent.stdout), undefined);
        // undefined between domstate and dumpxml
        fs.writeFileSync(path.join(dir, "state_rc"), "0");
        fs.writeFileSync(path.join(dir, "state"), "running\n");
        fs.writeFileSync(path.join(dir, "xml"), "error: Domain not found: no domain with matching name 'dvrlt-fx'\n");
        fs.writeFileSync(path.join(dir, "xml_rc"), "1");
        assert.deepEqual([show("dvrlt-fx").status, show("dvrlt-fx").stdout], [0, "@@absent\n"]);
        fs.writeFileSync(path.join(dir, "xml"), "error: failed to connect to the hypervisor\n");
        const down = show("dvrlt-fx");
        assert.deepEqual([down.status, down.stdout, down.stderr], [1, "", "error: failed to connect to the hypervisor\n"]);
        fs.writeFileSync(path.join(dir, "state"), "error: internal error\n");
        fs.writeFileSync(path.join(dir, "state_rc"), "1");
        const broken = show("dvrlt-fx");
        assert.deepEqual([broken.status, broken.stderr], [1, "error: internal error\n"]);
    });

    it("parseShowDomain: no tap list is no taps, a tap without flags is down, a missing section is an error", () => {
        const xml = between("@@xml");
        const st = parseShowDomain(`@@state\nshut off\n@@links\n\n@@xml\n${xml}`)!;
        assert.deepEqual([st.state, st.taps.size], ["shut off", 0]);
        const down = parseShowDomain(`@@state\nrunning\n@@links\n[{"ifname":"t1"},{"ifname":"t2","flags":["UP"],"master":"br"}]\n@@xml\n${xml}`)!;
        assert.deepEqual(
            [...down.taps.values()],
            [
                { name: "t1", master: undefined, up: false },
                { name: "t2", master: "br", up: true },
            ],
        );
        assert.throws(() => parseShowDomain(`@@links\n[]\n@@xml\n${xml}`), /^Error: unexpected output: no @@state section$/);
        assert.throws(() => parseShowDomain(`@@state\nrunning\n@@xml\n${xml}`), /^Error: unexpected output: no @@links section$/);
    });

    it("preflight on this machine: missing and non-bridge bridges, existing taps, unreadable base and boot files, an existing disk", () => {
        const base = path.join(dir, "base.qcow2");
        fs.writeFileSync(base, "");
        const disk = path.join(dir, "vm.qcow2");
        fs.symlinkSync(path.join(dir, "nowhere"), disk);
        const d = libvirtDomainSchema.parse({
            connection: { host: "172.30.124.233" },
            owner: "dvrlab:p/s",
            name: "dvrlt-nosuchvm",
            memoryMiB: 96,
            boot: { kernel: dir, initrd: base },
            disk: { base, path: disk },
            interfaces: [
                { bridge: "dvrlnobr0", tap: "lo", mac: "fa:16:3e:00:00:01" },
                { bridge: "lo", tap: "dvrlnotap0", mac: "fa:16:3e:00:00:02" },
                { bridge: "dvrlnobr0", tap: "dvrlnotap1", mac: "fa:16:3e:00:00:03" },
            ],
        });
        const argv = preflight(d, { checkTaps: true, checkDisk: true });
        assert.deepEqual(argv.slice(4), [
            "bridge:dvrlnobr0",
            "bridge:lo",
            "tap:lo",
            "tap:dvrlnotap0",
            "tap:dvrlnotap1",
            `base:${base}`,
            `disk:${disk}`,
            `file:${dir}`,
            `file:${base}`,
            "cgroup:dvrlt-nosuchvm",
        ]);
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `missing-bridge dvrlnobr0\nnot-a-bridge lo\ntap-exists lo\ndisk-exists ${disk}\nmissing-file ${dir}\n`);
        assert.deepEqual(explainPreflight(r.stdout, "server-233"), [
            "bridge dvrlnobr0 does not exist on server-233: create it first (a LinuxBridge the domain depends on), the seed's order",
            "lo on server-233 is not a Linux bridge (interfaces of type 'bridge' attach to a Linux bridge such as qbr-<vm>)",
            "a device named lo already exists on server-233; the domain's tap needs that name",
            `disk ${disk} already exists on server-233; not overwriting it (remove it or set disk.path)`,
            `boot file ${dir} is not a readable file on server-233`,
        ]);
        // without the tap and disk checks (an update): only bridges and boot files
        const upd = preflight(d, { checkTaps: false, checkDisk: false });
        assert.deepEqual(upd.slice(4), ["bridge:dvrlnobr0", "bridge:lo", `file:${dir}`, `file:${base}`]);
        fs.rmSync(base);
        fs.rmSync(disk);
        const again = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
        assert.equal(
            again.stdout,
            `missing-bridge dvrlnobr0\nnot-a-bridge lo\ntap-exists lo\nmissing-base ${base}\nmissing-file ${dir}\nmissing-file ${base}\n`,
        );
    });

    it("explainPreflight: the other problems, blank lines skipped, unknown lines passed through", () => {
        assert.deepEqual(explainPreflight("missing-base /b.qcow2\n\n  \nname-in-use /sys/fs/cgroup/machine/qemu-3-vm.libvirt-qemu\nsomething else\n", "h"), [
            "base image /b.qcow2 is not a readable file on h",
            "a domain of that name already runs on this machine under another libvirtd (cgroup /sys/fs/cgroup/machine/qemu-3-vm.libvirt-qemu): the lab's hosts share one cgroup tree, so domain names must be unique across them",
            "something else",
        ]);
    });

    it("planRemoveFiles: the socket path is removed only when it is a socket", async () => {
        const sock = path.join(dir, "chan.sock");
        const srv = net.createServer();
        await new Promise<void>((r) => srv.listen(sock, r));
        const [cmd] = planRemoveFiles({ socket: sock });
        assert.equal(spawnSync(cmd[0], cmd.slice(1)).status, 0);
        assert.equal(fs.existsSync(sock), false);
        srv.close();
        fs.writeFileSync(sock, "not a socket");
        assert.equal(spawnSync(cmd[0], cmd.slice(1)).status, 0);
        assert.equal(fs.readFileSync(sock, "utf8"), "not a socket");
        assert.deepEqual(planRemoveFiles({}), []);
        assert.deepEqual(planRemoveFiles({ logs: [] }), []);
    });

    it("kvmOffered: only hvm guests of the host's architecture count; without a host arch, any", () => {
        const caps = (hostArch: string, guests: string) => `<capabilities><host><cpu>${hostArch}</cpu></host>${guests}</capabilities>`;
        const guest = (os: string, arch: string, domains: string) => `<guest><os_type>${os}</os_type><arch name='${arch}'>${domains}</arch></guest>`;
        assert.equal(kvmOffered(caps("<arch>x86_64</arch>", guest("xen", "x86_64", "<domain type='kvm'/>"))), false);
        assert.equal(kvmOffered(caps("<arch>x86_64</arch>", guest("hvm", "i686", "<domain type='kvm'/>"))), false);
        assert.equal(
            kvmOffered(caps("<arch>x86_64</arch>", guest("hvm", "i686", "<domain type='kvm'/>") + guest("hvm", "x86_64", "<domain type='kvm'/>"))),
            true,
        );
        assert.equal(
            kvmOffered(
                caps(
                    "<arch>x86_64</arch>",
                    guest("xen", "x86_64", "<domain type='xen'/>") + guest("hvm", "x86_64", "<domain type='qemu'/><domain type='kvm'/>"),
                ),
            ),
            true,
        );
        assert.equal(kvmOffered(caps("", guest("hvm", "aarch64", "<domain type='kvm'/>"))), true);
        assert.equal(kvmOffered("<capabilities/>"), false);
    });
});
