import { create } from "xmlbuilder2";
import { XMLParser } from "fast-xml-parser";
import { isDeepStrictEqual } from "util";
import { Argv } from "../ssh/quote";
import { LibvirtDomainSpec, pathsOf } from "./schema";

export const LIBVIRT_URI = "qemu:///system";
/** Our element under <metadata>: who owns the domain and whether we made its disk. */
export const METADATA_NS = "urn:dvrlab:libvirt-domain:1";
export const METADATA_KEY = "dvrlab";

export const virsh = (...args: string[]): string[] => ["virsh", "-q", "-c", LIBVIRT_URI, ...args];

/** What the domain XML records about ownership. */
export interface DomainMark {
    owner?: string;
    disk?: string;
    diskCreated: boolean;
}

// ---------------------------------------------------------------------------------------------
// Domain XML from typed inputs (never by concatenating strings)

export interface XmlExtras {
    domainType: "kvm" | "qemu";
    /** Keeps the UUID when a domain is redefined (libvirt refuses a new UUID for a known name). */
    uuid?: string;
    diskCreated: boolean;
}

type Node = ReturnType<typeof create>;

function interfaceElement(parent: Node, n: LibvirtDomainSpec["interfaces"][number]): void {
    parent
        .ele("interface", { type: "bridge" })
        .ele("source", { bridge: n.bridge })
        .up()
        .ele("target", { dev: n.tap })
        .up()
        .ele("mac", { address: n.mac })
        .up()
        .ele("model", { type: n.model })
        .up();
}

export function domainXml(d: LibvirtDomainSpec, x: XmlExtras): string {
    const p = pathsOf(d);
    const dom = create().ele("domain", { type: x.domainType });
    dom.ele("name").txt(d.name);
    if (x.uuid) dom.ele("uuid").txt(x.uuid);
    const mark: Record<string, string> = { owner: d.owner };
    if (p.disk) Object.assign(mark, { disk: p.disk, diskCreated: x.diskCreated ? "yes" : "no" });
    dom.ele("metadata").ele(METADATA_NS, `${METADATA_KEY}:domain`, mark);
    dom.ele("memory", { unit: "MiB" }).txt(String(d.memoryMiB));
    dom.ele("vcpu").txt(String(d.vcpus));
    const os = dom.ele("os");
    os.ele("type").txt("hvm");
    if (d.boot.kernel) {
        os.ele("kernel").txt(d.boot.kernel);
        if (d.boot.initrd) os.ele("initrd").txt(d.boot.initrd);
        if (d.boot.cmdline !== undefined) os.ele("cmdline").txt(d.boot.cmdline);
    } else {
        os.ele("boot", { dev: "hd" });
    }
    dom.ele("features").ele("acpi");
    // A guest that powers off stays off (drift read sees); a reboot is a reboot.
    dom.ele("on_poweroff").txt("destroy");
    dom.ele("on_reboot").txt("restart");
    dom.ele("on_crash").txt("destroy");
    const dev = dom.ele("devices");
    if (d.disk && p.disk) {
        const disk = dev.ele("disk", { type: "file", device: "disk" });
        disk.ele("driver", { name: "qemu", type: "qcow2" });
        disk.ele("source", { file: p.disk });
        disk.ele("target", { dev: "vda", bus: "virtio" });
    }
    for (const n of d.interfaces) interfaceElement(dev, n);
    // ttyS0: console (a pty for `virsh console`), everything it prints kept in the log file.
    const con = dev.ele("serial", { type: "pty" });
    con.ele("log", { file: p.consoleLog, append: "off" });
    con.ele("target", { port: "0" });
    dev.ele("console", { type: "pty" }).ele("target", { type: "serial", port: "0" });
    // ttyS1: the command channel (provider/guest/channel.ts); qemu listens, one client at a time.
    const ch = dev.ele("serial", { type: "unix" });
    ch.ele("source", { mode: "bind", path: p.channelSocket });
    ch.ele("target", { port: "1" });
    // Fewer devices to probe under TCG; no <graphics> at all means none.
    dev.ele("controller", { type: "usb", model: "none" });
    dev.ele("memballoon", { model: "none" });
    return dom.end({ prettyPrint: true, headless: true }) + "\n";
}

/** One <interface> for `virsh update-device` (live bridge change). */
export function interfaceXml(n: LibvirtDomainSpec["interfaces"][number]): string {
    const root = create();
    interfaceElement(root as unknown as Node, n);
    return root.end({ prettyPrint: true, headless: true }) + "\n";
}

/** The <metadata> child for `virsh metadata --set` (owner change, live and persistent). */
export function markXml(d: LibvirtDomainSpec, diskCreated: boolean): string {
    const p = pathsOf(d);
    const mark: Record<string, string> = { owner: d.owner };
    if (p.disk) Object.assign(mark, { disk: p.disk, diskCreated: diskCreated ? "yes" : "no" });
    return create().ele(METADATA_NS, `${METADATA_KEY}:domain`, mark).end({ headless: true }) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Domain XML (virsh dumpxml) back to typed values

const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name, _jpath, _leaf, isAttribute) => !isAttribute && ["interface", "disk", "serial", "console", "guest", "domain", "arch"].includes(name),
});

const text = (v: any): string | undefined => (v === undefined ? undefined : typeof v === "object" ? v["#text"] : String(v));
const arr = (v: any): any[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const KIB: Record<string, number> = {
    b: 1 / 1024,
    bytes: 1 / 1024,
    k: 1,
    kib: 1,
    kb: 1000 / 1024,
    m: 1024,
    mib: 1024,
    mb: 1e6 / 1024,
    g: 1 << 20,
    gib: 1 << 20,
    gb: 1e9 / 1024,
};

export interface ParsedDomain {
    type: string;
    name: string;
    uuid?: string;
    memoryMiB: number;
    vcpus: number;
    kernel?: string;
    initrd?: string;
    cmdline?: string;
    disk?: { path: string; format?: string; backing?: string; backingFormat?: string };
    interfaces: { type: string; bridge?: string; tap?: string; mac?: string; model?: string }[];
    consoleLog?: string;
    channelSocket?: string;
    mark: DomainMark;
}

export function parseDomainXml(xml: string): ParsedDomain {
    const dom = parser.parse(xml).domain?.[0];
    if (!dom) throw new Error("not a libvirt domain XML");
    const mem = dom.memory;
    const unit = (typeof mem === "object" ? mem.unit : undefined) ?? "KiB";
    const factor = KIB[String(unit).toLowerCase()];
    if (factor === undefined) throw new Error(`unknown memory unit ${unit}`);
    const os = dom.os ?? {};
    const dev = dom.devices ?? {};

    const disk = arr(dev.disk).find((x) => x.device === "disk" && x.target?.dev === "vda") ?? arr(dev.disk).find((x) => x.device === "disk");
    const serials = arr(dev.serial);
    const consoleSerial = serials.find((s) => String(s.target?.port ?? "0") === "0");
    const channel = serials.find((s) => s.type === "unix" && String(s.target?.port) === "1");

    let mark: DomainMark = { diskCreated: false };
    for (const [, v] of Object.entries(dom.metadata ?? {})) {
        for (const el of arr(v)) {
            if (el && typeof el === "object" && Object.entries(el).some(([k, ns]) => k.startsWith("xmlns") && ns === METADATA_NS)) {
                mark = { owner: el.owner, disk: el.disk, diskCreated: el.diskCreated === "yes" };
            }
        }
    }

    return {
        type: dom.type,
        name: text(dom.name) ?? "",
        uuid: text(dom.uuid),
        memoryMiB: Math.round((Number(text(mem)) * factor) / 1024),
        vcpus: Number(text(dom.vcpu) ?? 1),
        kernel: text(os.kernel),
        initrd: text(os.initrd),
        cmdline: os.cmdline === undefined ? undefined : (text(os.cmdline) ?? ""),
        disk: disk?.source?.file
            ? {
                  path: disk.source.file,
                  format: disk.driver?.type,
                  backing: disk.backingStore?.source?.file,
                  backingFormat: disk.backingStore?.format?.type,
              }
            : undefined,
        interfaces: arr(dev.interface).map((n) => ({
            type: n.type,
            bridge: n.source?.bridge,
            tap: n.target?.dev,
            mac: n.mac?.address?.toLowerCase(),
            model: n.model?.type,
        })),
        consoleLog: consoleSerial?.log?.file,
        channelSocket: channel?.source?.path,
        mark,
    };
}

/**
 * Whether KVM is usable: the CPU has hardware virtualisation (vmx/svm), /dev/kvm opens, then
 * libvirt's capabilities. An openable /dev/kvm alone is not enough: a paravirtual KVM (e.g. PVM in
 * a cloud VM) opens fine and libvirt offers kvm, but a stock guest kernel hangs there.
 */
export const detectKvm = (): Argv => [
    "sh",
    "-c",
    'if grep -qwE "vmx|svm" /proc/cpuinfo && [ -c /dev/kvm ] && ( exec 3<>/dev/kvm ) 2>/dev/null; then echo @@kvm; exec "$@" capabilities; else echo @@nokvm; fi',
    "sh",
    ...virsh(),
];

export function kvmUsable(out: string): boolean {
    return out.startsWith("@@kvm\n") && kvmOffered(out.slice(6));
}

/** kvm when the host's libvirt offers it for hvm guests of the host's architecture (`virsh capabilities`). */
export function kvmOffered(capabilitiesXml: string): boolean {
    const caps = parser.parse(capabilitiesXml).capabilities;
    // `arch` is parsed as an array (isArray above, for guest/arch): the host CPU's is its first element.
    const hostArch = text(arr(caps?.host?.cpu?.arch)[0]);
    for (const g of arr(caps?.guest)) {
        if (text(g.os_type) !== "hvm") continue;
        for (const a of arr(g.arch)) {
            if (hostArch && a.name !== hostArch) continue;
            if (arr(a.domain).some((d) => d.type === "kvm")) return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Reading a domain: state + XML + the host's taps, in one round trip

export const showDomain = (name: string): Argv => [
    "sh",
    "-c",
    [
        "uri=$1; name=$2",
        'gone() { case $1 in *"failed to get domain"*|*"Domain not found"*|*"no domain with matching"*) echo @@absent; exit 0;; esac; printf "%s\\n" "$1" >&2; exit 1; }',
        'st=$(virsh -q -c "$uri" domstate "$name" 2>&1) || gone "$st"',
        'xml=$(virsh -q -c "$uri" dumpxml "$name" 2>&1) || gone "$xml"',
        'echo @@state; printf "%s\\n" "$st"',
        'echo @@links; ip -d -j link show type tun 2>/dev/null || echo "[]"',
        'echo @@xml; printf "%s\\n" "$xml"',
    ].join("\n"),
    "sh",
    LIBVIRT_URI,
    name,
];

export interface TapState {
    name: string;
    master?: string;
    up: boolean;
}

export interface DomainState {
    state: string;
    domain: ParsedDomain;
    taps: Map<string, TapState>;
}

export function parseShowDomain(out: string): DomainState | undefined {
    if (/^@@absent$/m.test(out)) return undefined;
    const sec = (name: string, next?: string) => {
        const start = out.indexOf(`@@${name}\n`);
        if (start < 0) throw new Error(`unexpected output: no @@${name} section`);
        const from = start + name.length + 3;
        const end = next ? out.indexOf(`@@${next}\n`, from) : out.length;
        return out.slice(from, end < 0 ? out.length : end);
    };
    const links = JSON.parse(sec("links", "xml").trim() || "[]") as any[];
    const taps = new Map<string, TapState>(links.map((l) => [l.ifname, { name: l.ifname, master: l.master, up: (l.flags ?? []).includes("UP") }]));
    return { state: sec("state", "links").trim(), domain: parseDomainXml(sec("xml")), taps };
}

/** The domain's live state in input form; fields the host cannot tell keep the old value. */
export function toInputs(st: DomainState, olds: LibvirtDomainSpec): LibvirtDomainSpec {
    const d = st.domain;
    const def = pathsOf({ ...olds, channelSocket: undefined, consoleLog: undefined, disk: olds.disk ? { ...olds.disk, path: undefined } : undefined });
    const running = st.state === "running";
    const r: LibvirtDomainSpec = {
        ...olds,
        owner: d.mark.owner ?? "",
        memoryMiB: d.memoryMiB,
        vcpus: d.vcpus,
        domainType: d.type === "kvm" || d.type === "qemu" ? d.type : (d.type as any),
        boot: {},
        interfaces: d.interfaces.map((n) => {
            // A running domain's tap is where the kernel says it is (moved by hand = drift).
            const tap = n.tap ? st.taps.get(n.tap) : undefined;
            const bridge = running && n.tap ? (tap?.master ?? "") : (n.bridge ?? "");
            return { bridge, tap: n.tap ?? "", mac: n.mac ?? "", model: (n.model ?? "") as any };
        }),
        running,
    };
    if (d.kernel !== undefined) r.boot.kernel = d.kernel;
    if (d.initrd !== undefined) r.boot.initrd = d.initrd;
    if (d.cmdline !== undefined) r.boot.cmdline = d.cmdline;
    if (d.disk) {
        const base = d.disk.backing ?? olds.disk?.base ?? d.disk.path;
        const disk: any = { ...(olds.disk ?? { from: "overlay" }), base, baseFormat: d.disk.backingFormat ?? olds.disk?.baseFormat ?? "qcow2" };
        if (olds.disk?.path !== undefined || d.disk.path !== def.disk) disk.path = d.disk.path;
        else delete disk.path;
        r.disk = disk;
    } else {
        delete r.disk;
    }
    const keep = <K extends "channelSocket" | "consoleLog">(k: K, actual: string | undefined) => {
        if (olds[k] !== undefined || actual !== def[k]) r[k] = (actual ?? "") as any;
        else delete r[k];
    };
    keep("channelSocket", d.channelSocket);
    keep("consoleLog", d.consoleLog);
    return r;
}

// ---------------------------------------------------------------------------------------------
// Checks before create, and the commands

/**
 * Preflight: every bridge exists and is a Linux bridge, no tap of those names exists, the base
 * image is there and the domain's disk is not, no other libvirtd on this machine runs the name.
 * Prints one problem per line.
 */
export function preflight(d: LibvirtDomainSpec, opts: { checkTaps: boolean; checkDisk: boolean }): Argv {
    const p = pathsOf(d);
    const items: string[] = [];
    for (const b of new Set(d.interfaces.map((n) => n.bridge))) items.push(`bridge:${b}`);
    if (opts.checkTaps) for (const n of d.interfaces) items.push(`tap:${n.tap}`);
    if (d.disk && opts.checkDisk) items.push(`base:${d.disk.base}`, `disk:${p.disk}`);
    for (const f of [d.boot.kernel, d.boot.initrd]) if (f) items.push(`file:${f}`);
    if (opts.checkTaps) items.push(`cgroup:${d.name}`);
    return [
        "sh",
        "-c",
        [
            "for a; do k=${a%%:*}; v=${a#*:}; case $k in",
            '  bridge) if [ ! -e "/sys/class/net/$v" ]; then echo "missing-bridge $v"; elif [ ! -d "/sys/class/net/$v/bridge" ]; then echo "not-a-bridge $v"; fi;;',
            '  tap) if [ -e "/sys/class/net/$v" ]; then echo "tap-exists $v"; fi;;',
            '  base|file) if [ ! -f "$v" ] || [ ! -r "$v" ]; then echo "missing-$k $v"; fi;;',
            '  disk) if [ -e "$v" ] || [ -L "$v" ]; then echo "disk-exists $v"; fi;;',
            // libvirt names a running domain's cgroup qemu-<id>-<name>.libvirt-qemu; before define,
            // one of ours cannot exist, so another libvirtd sharing this cgroup tree runs that name
            '  cgroup) for c in /sys/fs/cgroup/machine/qemu-*-"$v".libvirt-qemu /sys/fs/cgroup/*/machine/qemu-*-"$v".libvirt-qemu; do',
            '    if [ -d "$c" ]; then echo "name-in-use $c"; break; fi; done;;',
            "esac; done",
        ].join("\n"),
        "sh",
        ...items,
    ];
}

export function explainPreflight(out: string, where: string): string[] {
    return out
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
            const [what, v] = [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)];
            switch (what) {
                case "missing-bridge":
                    return `bridge ${v} does not exist on ${where}: create it first (a LinuxBridge the domain depends on), the seed's order`;
                case "not-a-bridge":
                    return `${v} on ${where} is not a Linux bridge (interfaces of type 'bridge' attach to a Linux bridge such as qbr-<vm>)`;
                case "tap-exists":
                    return `a device named ${v} already exists on ${where}; the domain's tap needs that name`;
                case "missing-base":
                    return `base image ${v} is not a readable file on ${where}`;
                case "name-in-use":
                    return `a domain of that name already runs on this machine under another libvirtd (cgroup ${v}): the lab's hosts share one cgroup tree, so domain names must be unique across them`;
                case "missing-file":
                    return `boot file ${v} is not a readable file on ${where}`;
                case "disk-exists":
                    return `disk ${v} already exists on ${where}; not overwriting it (remove it or set disk.path)`;
                default:
                    return l;
            }
        });
}

/** mkdir -p for the directories our files go in (the console log's may not exist: libvirt does not create it). */
export function planDirs(d: LibvirtDomainSpec): Argv[] {
    const p = pathsOf(d);
    const dirs = new Set([p.disk, p.channelSocket, p.consoleLog].filter((x): x is string => !!x).map((f) => f.slice(0, f.lastIndexOf("/")) || "/"));
    return [["mkdir", "-p", ...dirs]];
}

export function planDisk(d: LibvirtDomainSpec): Argv[] {
    const p = pathsOf(d);
    if (!d.disk || !p.disk) return [];
    return d.disk.from === "convert"
        ? [["qemu-img", "convert", "-q", "-f", d.disk.baseFormat, "-O", "qcow2", d.disk.base, p.disk]]
        : [["qemu-img", "create", "-q", "-f", "qcow2", "-F", d.disk.baseFormat, "-b", d.disk.base, p.disk]];
}

/** `virsh define` reads the XML from stdin: nothing of it is ever on a command line. */
export const planDefine = (): Argv => virsh("define", "/dev/stdin");
export const planStart = (name: string): Argv => virsh("start", name);
export const planDestroy = (name: string): Argv => virsh("destroy", name);
export const planResume = (name: string): Argv => virsh("resume", name);
export const planUndefine = (name: string): Argv => virsh("undefine", name);
export const planUpdateInterface = (name: string, live: boolean): Argv => virsh("update-device", name, "/dev/stdin", "--config", ...(live ? ["--live"] : []));
export const planSetMark = (name: string, live: boolean): Argv => [
    ...virsh("metadata", name, METADATA_NS, "--key", METADATA_KEY, "--config", ...(live ? ["--live"] : []), "--set"),
];

/** libvirt's own log of a domain's qemu (command line, errors); undefine leaves it. */
export const libvirtLogOf = (name: string) => `/var/log/libvirt/qemu/${name}.log`;

/** Removes files the domain left: its disk only when we created it; the socket only if it is a socket. */
export function planRemoveFiles(files: { disk?: string; socket?: string; logs?: string[] }): Argv[] {
    const cmds: Argv[] = [];
    if (files.disk) cmds.push(["rm", "-f", "--", files.disk]);
    if (files.socket) cmds.push(["sh", "-c", 'if [ -S "$1" ]; then rm -f -- "$1"; fi', "sh", files.socket]);
    if (files.logs?.length) cmds.push(["rm", "-f", "--", ...files.logs]);
    return cmds;
}

// ---------------------------------------------------------------------------------------------
// What an update has to do

export interface UpdatePlan {
    /** Changes that need a new definition and a power cycle (destroy + start). */
    restart: string[];
    /** Interfaces whose bridge changes: `virsh update-device --live --config`. */
    rebridge: number[];
    /** Taps the kernel has off their bridge (moved by hand): put them back. */
    reattach: number[];
    owner: boolean;
    start: boolean;
    stop: boolean;
    resume: boolean;
}

/** Fields of a running domain that libvirt/qemu can only take at boot. */
function bootShape(d: LibvirtDomainSpec) {
    const p = pathsOf(d);
    return {
        memoryMiB: d.memoryMiB,
        vcpus: d.vcpus,
        domainType: d.domainType,
        boot: d.boot,
        interfaces: d.interfaces.map(({ tap, mac, model }) => ({ tap, mac, model })),
        channelSocket: p.channelSocket,
        consoleLog: p.consoleLog,
    };
}

/**
 * Compares the host's domain (in input form, `cur`) with the desired one. Per field:
 *   running, owner, an interface's bridge: live;
 *   memoryMiB, vcpus, domainType, boot, interfaces added/removed or their tap/mac/model,
 *   channelSocket, consoleLog: restart (new definition, then destroy + start);
 *   name, disk: replace (replaceOn).
 */
export function planUpdate(cur: LibvirtDomainSpec, st: DomainState, want: LibvirtDomainSpec): UpdatePlan {
    const a = bootShape(cur);
    const b = bootShape(want);
    const restart = (Object.keys(b) as (keyof typeof b)[]).filter((k) => !isDeepStrictEqual(a[k], b[k]));
    const rebridge: number[] = [];
    const reattach: number[] = [];
    if (!restart.includes("interfaces")) {
        want.interfaces.forEach((n, i) => {
            const inXml = st.domain.interfaces[i]?.bridge;
            if (inXml !== n.bridge) rebridge.push(i);
            else if (st.state === "running" && cur.interfaces[i]?.bridge !== n.bridge) reattach.push(i);
        });
    }
    const running = st.state === "running";
    return {
        restart,
        rebridge,
        reattach,
        owner: cur.owner !== want.owner,
        start: want.running && !running && st.state !== "paused",
        stop: !want.running && st.state !== "shut off",
        resume: want.running && st.state === "paused",
    };
}
