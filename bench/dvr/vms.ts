// bench/dvr with libvirt guests (BENCH_DVR_VMS=n): cold up of the same lab with n real VMs (the lab
// guest image, TCG) instead of namespace guests, dvrlab (bench:vms libvirt: GuestImage + LibvirtDomain
// as the DVR stack does) against the hand way: the three image files copied to each host (scp-like
// `cat >` over the host's one multiplexed SSH connection), then the host's script with, per VM,
// `qemu-img create` of its overlay, `virsh define` of the same domain XML and `virsh start`.
// Both stop when every domain is started (not booted).
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { quote } from "shell-quote";
import { domainXml, planDirs, planDisk } from "../../provider/libvirtDomain/planner";
import { libvirtDomainSchema } from "../../provider/libvirtDomain/schema";
import { loadGuestManifest } from "../../stacks/dvr/guest";
import { benchTopology, handChains, HOSTS, PROJECT, wipeScripts } from "./plan";

export async function benchVms(ctx: any): Promise<void> {
    const { n, underlay, key, knownHosts, onHosts, readBack, isEmpty, work, stack, rows, BenchStack } = ctx;
    const topology = benchTopology(underlay, n, { domainPrefix: `b${process.pid % 10000}-` });
    const { plan, chains } = handChains(topology, stack);
    const manifest = loadGuestManifest();
    const dir = `/var/lib/dvrlab/images/${manifest.version}`;
    const files = [manifest.kernel, manifest.initrd, manifest.baseImage];
    const remote = (f: string) => `${dir}/${path.basename(f)}`;
    const row = (what: string, s: number, note?: string) => {
        rows.push({ n, what: `VMs: ${what}`, s, note });
        console.log(`  VMs=${n} ${what}: ${s.toFixed(2)} s${note ? ` (${note})` : ""}`);
    };
    const ctl = (h: string) => path.join(work, `vm-${h}.ctl`);
    const ssh = (h: string) => [
        "-F",
        "/dev/null",
        "-i",
        key,
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "BatchMode=yes",
        "-S",
        ctl(h),
        `root@${underlay}.${h.split("-")[1]}`,
    ];
    const domains = plan.vms.map((vm) =>
        libvirtDomainSchema.parse({
            connection: { host: "x" },
            owner: `dvrlab:${PROJECT}/${stack}`,
            name: vm.domain,
            memoryMiB: manifest.minMemoryMiB,
            boot: { kernel: remote(manifest.kernel), initrd: remote(manifest.initrd), cmdline: manifest.cmdline },
            disk: { base: remote(manifest.baseImage) },
            interfaces: [{ bridge: vm.qbr, tap: vm.tap, mac: vm.mac }],
        }),
    );
    const wipe = () => {
        const extra = new Map<string, string>();
        for (const h of HOSTS) {
            const mine = plan.vms.map((vm, i) => ({ vm, d: domains[i] })).filter((x) => x.vm.host === h);
            extra.set(
                h,
                [
                    ...mine.flatMap(({ d }) => [
                        quote(["virsh", "-q", "destroy", d.name]),
                        quote(["virsh", "-q", "undefine", d.name]),
                        quote(["rm", "-f", `/var/lib/libvirt/images/${d.name}.qcow2`]),
                    ]),
                    quote(["rm", "-rf", dir]),
                ]
                    .map((l) => `${l} >/dev/null 2>&1`)
                    .join("\n") + "\n",
            );
        }
        return onHosts(new Map([...wipeScripts(plan)].map(([h, s]) => [h, extra.get(h)! + s])));
    };
    await wipe();

    // The hand way: one multiplexed connection per host; uploads, then the script.
    const t0 = process.hrtime.bigint();
    await Promise.all(
        HOSTS.map(async (h) => {
            spawnSync("ssh", [...ssh(h), "-M", "-o", "ControlPersist=600", "-fN"], { stdio: "ignore" });
            for (const f of files) {
                await new Promise<void>((res, rej) => {
                    const p = spawn("ssh", [...ssh(h), quote(["sh", "-c", 'mkdir -p "${1%/*}" && cat > "$1" && chmod 0444 "$1"', "sh", remote(f)])], {
                        stdio: ["pipe", "ignore", "inherit"],
                    });
                    require("fs").createReadStream(f).pipe(p.stdin);
                    p.on("close", (c) => (c === 0 ? res() : rej(new Error(`upload of ${f} to ${h} exited ${c}`))));
                });
            }
        }),
    );
    const scripts = new Map<string, string[]>();
    for (const c of chains) {
        if (!scripts.has(c.host)) scripts.set(c.host, ["set -e"]);
        const lines = scripts.get(c.host)!;
        lines.push(...c.steps.filter((s) => !s.guest).map((s) => s.cmd));
        const i = plan.vms.findIndex((vm) => `vm-${vm.id}` === c.key);
        if (i >= 0) {
            const d = domains[i];
            lines.push(...planDirs(d).map((a) => quote(a as string[])), ...planDisk(d).map((a) => quote(a as string[])));
            lines.push(
                `virsh -q define /dev/stdin >/dev/null <<'DOMAIN_XML'\n${domainXml(d, { domainType: "qemu", diskCreated: true })}DOMAIN_XML`,
                quote(["virsh", "-q", "start", d.name]) + " >/dev/null",
            );
        }
    }
    await onHosts(new Map([...scripts].map(([h, l]) => [h, l.join("\n") + "\n"])));
    row("bash: build with libvirt guests (uploads + one script per host)", Number(process.hrtime.bigint() - t0) / 1e9);
    for (const h of HOSTS) spawnSync("ssh", [...ssh(h), "-O", "exit"], { stdio: "ignore" });
    await wipe();
    const left = isEmpty(await readBack());
    if (left) throw new Error(`VM teardown left:\n${left}`);

    const st = new BenchStack(path.join(work, `vms-${n}`));
    try {
        st.config({ "dvrlab:topology": topology, "bench:mode": "dvrlab", "bench:vms": "libvirt" });
        const u = st.run(`vms-up-${n}`, ["up", "--yes", "--skip-preview"]);
        rows.push({ n, what: "VMs: dvrlab: pulumi up (cold) with libvirt guests", s: u.s, ssh: u.ssh });
        console.log(`  VMs=${n} dvrlab: pulumi up (cold): ${u.s.toFixed(2)} s`);
        st.run(`vms-destroy-${n}`, ["destroy", "--yes", "--skip-preview"]);
    } finally {
        st.remove();
        await wipe();
    }
}
