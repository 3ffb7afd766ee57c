// Preflight, pure part: one read-only script gathers everything (one SSH round trip), a parser
// splits its output per probe, and `evaluate` turns the probes into findings that say what is
// missing and how to fix it. Nothing here changes a host.
import type { Argv } from "../ssh/quote";
import type { Finding, HostPreflightSpec } from "./schema";
import { OWNER_KEY, rows } from "../ovs/vsctl";

/** One probe: a name and the command whose exit code and output it records. Constants only. */
const PROBES: readonly [string, string][] = [
    ["uid", "id -u"],
    ["ovs", "ovs-vsctl --version"],
    ["ovsdb", "ovs-vsctl --timeout=5 get Open_vSwitch . datapath_types"],
    ["kmod", "test -d /sys/module/openvswitch && echo system"],
    ["ip", "ip -V"],
    ["addrs", "ip -j addr show"],
    ["iptables", "iptables --version"],
    ["physdev", "iptables -m physdev --help"],
    ["brnf", "cat /proc/sys/net/bridge/bridge-nf-call-iptables"],
    ["dnsmasq", "dnsmasq --version"],
    ["virsh", "virsh --version"],
    ["domcaps", "virsh -c qemu:///system capabilities"],
    ["udp", 'ss -Hlunp "sport = :$1"'],
    ["vxlandev", "ip -d -j link show type vxlan"],
    ["bridges", "ovs-vsctl --timeout=5 --format=json --columns=name,external_ids list Bridge"],
];

const MARK = "@@dvrlab-probe";

/** The probe script, run as `sh -c SCRIPT sh <vxlanPort>`: every probe runs, each output is framed. */
export function probeCommand(vxlanPort: number): Argv {
    const body = PROBES.map(([n, cmd]) => `out=$( { ${cmd}; } 2>&1 ); rc=$?; printf '%s %s %s\\n%s\\n' '${MARK}' '${n}' "$rc" "$out"`).join("\n");
    return ["sh", "-c", `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH\n${body}`, "sh", String(vxlanPort)];
}

export interface Probe {
    rc: number;
    out: string;
}

export function parseProbes(stdout: string): Record<string, Probe> {
    const probes: Record<string, Probe> = {};
    let cur: Probe | undefined;
    for (const line of stdout.split("\n")) {
        const m = new RegExp(`^${MARK} ([a-z]+) (\\d+)$`).exec(line);
        if (m) {
            cur = { rc: Number(m[2]), out: "" };
            probes[m[1]] = cur;
        } else if (cur) cur.out += (cur.out ? "\n" : "") + line;
    }
    for (const p of Object.values(probes)) p.out = p.out.replace(/\n+$/, "");
    return probes;
}

/** "1.2.3" ≥ "1.2"? Missing parts count as 0. */
export function versionAtLeast(have: string, want: string): boolean {
    const a = have.split(".").map(Number);
    const b = want.split(".").map(Number);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = a[i] ?? 0;
        const y = b[i] ?? 0;
        if (x !== y) return x > y;
    }
    return true;
}

/** Minimum versions: OVS for add-flows --bundle and OpenFlow 1.4, iproute2 for JSON output. */
export const MINIMUM = { ovs: "2.8", iproute2: "4.14", dnsmasq: "2.70", libvirt: "4.0" } as const;

const notFound = (p: Probe | undefined) => !p || p.rc === 127 || /not found/i.test(p.out);

/** The Debian/Ubuntu package that provides each tool, for the fix text. */
const PACKAGE = {
    ovs: "openvswitch-switch",
    ip: "iproute2",
    iptables: "iptables",
    dnsmasq: "dnsmasq-base",
    virsh: "libvirt-clients and libvirt-daemon-system",
} as const;

function tool(name: keyof typeof PACKAGE, check: string, p: Probe | undefined, re: RegExp, min: string | undefined, versions: Record<string, string>): Finding {
    if (notFound(p))
        return { check, ok: false, detail: `${name === "ovs" ? "ovs-vsctl" : name} not found (exit ${p?.rc ?? "none"})`, fix: `install ${PACKAGE[name]}` };
    if (p!.rc !== 0)
        return {
            check,
            ok: false,
            detail: `${name} --version failed (exit ${p!.rc}): ${p!.out.split("\n")[0]}`,
            fix: `repair the ${PACKAGE[name]} installation`,
        };
    const v = re.exec(p!.out)?.[1];
    if (!v) return { check, ok: false, detail: `cannot read the version from: ${p!.out.split("\n")[0]}`, fix: `install ${PACKAGE[name]}` };
    versions[check] = v;
    if (min && !versionAtLeast(v, min)) return { check, ok: false, detail: `version ${v} < ${min}`, fix: `upgrade ${PACKAGE[name]} to ${min} or later` };
    return { check, ok: true, detail: v };
}

/** The address and MTU of the interface holding `ip` (from `ip -j addr show`). */
export function interfaceOf(addrsJson: string, ip: string): { ifname: string; mtu: number } | undefined {
    let links: any[];
    try {
        links = JSON.parse(addrsJson);
    } catch {
        return undefined;
    }
    for (const l of links) if ((l.addr_info ?? []).some((a: any) => a.family === "inet" && a.local === ip)) return { ifname: l.ifname, mtu: Number(l.mtu) };
    return undefined;
}

/** The findings for a host, from its probes; `user` is the SSH user (for the privilege fix text). */
export function evaluate(p: Record<string, Probe>, spec: HostPreflightSpec, user: string): { findings: Finding[]; versions: Record<string, string> } {
    const findings: Finding[] = [];
    const versions: Record<string, string> = {};
    const root = p.uid?.rc === 0 && p.uid.out.trim() === "0";
    findings.push(
        root
            ? { check: "privilege", ok: true, detail: spec.connection.become === "sudo" ? `root through sudo as ${user}` : "root" }
            : {
                  check: "privilege",
                  ok: false,
                  detail: `commands run as uid ${p.uid?.out.trim() || "?"} (${user}), not root`,
                  fix: `set become: sudo for this host (and give ${user} passwordless sudo), or log in as root`,
              },
    );
    findings.push(tool("ip", "iproute2", p.ip, /iproute2-(?:ss)?v?([0-9]+(?:\.[0-9]+)*)/, MINIMUM.iproute2, versions));
    if (spec.needs.ovs) {
        findings.push(tool("ovs", "openvswitch", p.ovs, /Open vSwitch\)\s+([0-9]+(?:\.[0-9]+)*)/, MINIMUM.ovs, versions));
        if (!notFound(p.ovs)) {
            const types =
                p.ovsdb?.rc === 0
                    ? p.ovsdb.out
                          .replace(/[[\]\s]/g, "")
                          .split(",")
                          .filter(Boolean)
                    : [];
            const usable = types.filter((t) => t === "netdev" || (t === "system" && p.kmod?.rc === 0));
            findings.push(
                p.ovsdb?.rc !== 0
                    ? {
                          check: "ovs datapaths",
                          ok: false,
                          detail: `ovsdb not reachable: ${p.ovsdb?.out.split("\n")[0] ?? ""}`,
                          fix: "start Open vSwitch (systemctl start openvswitch-switch)",
                      }
                    : usable.length
                      ? {
                            check: "ovs datapaths",
                            ok: true,
                            detail: `${usable.join(", ")}${p.kmod?.rc === 0 ? "" : " (no openvswitch kernel module: userspace datapath)"}`,
                        }
                      : {
                            check: "ovs datapaths",
                            ok: false,
                            detail: `none usable (offered: ${types.join(", ") || "none"})`,
                            fix: "load the openvswitch kernel module (modprobe openvswitch)",
                        },
            );
        }
    }
    if (spec.needs.iptables) {
        const f = tool("iptables", "iptables", p.iptables, /v([0-9]+(?:\.[0-9]+)*)/, undefined, versions);
        if (f.ok) {
            const backend = /\((nf_tables|legacy)\)/.exec(p.iptables!.out)?.[1] ?? "legacy";
            f.detail = `${f.detail} (${backend})`;
            versions.iptablesBackend = backend;
        }
        findings.push(f);
        if (!notFound(p.iptables)) {
            findings.push(
                p.physdev?.rc === 0 && /physdev/.test(p.physdev.out)
                    ? { check: "iptables physdev", ok: true, detail: "xt_physdev available" }
                    : {
                          check: "iptables physdev",
                          ok: false,
                          detail: "the physdev match is not available",
                          fix: "modprobe xt_physdev (kernel module) or install the iptables extensions",
                      },
            );
        }
        findings.push(
            p.brnf?.rc === 0
                ? { check: "bridge netfilter", ok: true, detail: `bridge-nf-call-iptables=${p.brnf.out.trim()}` }
                : {
                      check: "bridge netfilter",
                      ok: false,
                      detail: "/proc/sys/net/bridge is missing: br_netfilter is not loaded",
                      fix: "modprobe br_netfilter (and add it to /etc/modules-load.d)",
                  },
        );
    }
    if (spec.needs.dnsmasq) findings.push(tool("dnsmasq", "dnsmasq", p.dnsmasq, /version\s+([0-9]+(?:\.[0-9]+)*)/i, MINIMUM.dnsmasq, versions));
    if (spec.needs.libvirt) {
        const f = tool("virsh", "libvirt", p.virsh, /^([0-9]+(?:\.[0-9]+)*)/, MINIMUM.libvirt, versions);
        findings.push(f);
        if (f.ok) {
            const types = [...new Set([...(p.domcaps?.out ?? "").matchAll(/<domain type=['"]([a-z]+)['"]/g)].map((m) => m[1]))];
            findings.push(
                p.domcaps?.rc === 0 && types.some((t) => t === "kvm" || t === "qemu")
                    ? { check: "libvirt domain types", ok: true, detail: types.join(", ") }
                    : {
                          check: "libvirt domain types",
                          ok: false,
                          detail: p.domcaps?.rc === 0 ? "no qemu or kvm domain type" : `libvirtd not reachable: ${p.domcaps?.out.split("\n")[0] ?? ""}`,
                          fix: "start libvirtd and install qemu-system-x86",
                      },
            );
        }
    }
    if (spec.tunnelIp) {
        const i = interfaceOf(p.addrs?.out ?? "", spec.tunnelIp);
        if (!i)
            findings.push({
                check: "tunnel address",
                ok: false,
                detail: `${spec.tunnelIp} is not an address of this host`,
                fix: "set the host's tunnelIp (or address) to one of its own IPv4 addresses",
            });
        else {
            findings.push({ check: "tunnel address", ok: true, detail: `${spec.tunnelIp} on ${i.ifname}` });
            const need = spec.mtu + 50;
            findings.push(
                i.mtu >= need
                    ? { check: "underlay MTU", ok: true, detail: `${i.ifname} mtu ${i.mtu} ≥ ${spec.mtu} + 50 (VXLAN)` }
                    : {
                          check: "underlay MTU",
                          ok: false,
                          detail: `${i.ifname} mtu ${i.mtu} < ${spec.mtu} + 50 (VXLAN)`,
                          fix: `raise ${i.ifname}'s MTU to ${need} or lower the network MTU to ${i.mtu - 50}`,
                      },
            );
        }
    }
    findings.push(udpFinding(p, spec.vxlanPort));
    if (spec.needs.ovs && spec.bridges.length) findings.push(...bridgeFindings(p.bridges, spec.bridges));
    return { findings, versions };
}

/**
 * The stack's bridges against the host's: absent (made), marked by dvrlab (converged; another
 * stack's is refused by OvsBridge itself) or listed to adopt are fine; an unmarked one is the
 * host's own (a Neutron/OVN node's br-int) and fails, before anything on any host changed.
 */
export function bridgeFindings(probe: Probe | undefined, wanted: HostPreflightSpec["bridges"]): Finding[] {
    if (probe?.rc !== 0) return []; // ovsdb unreachable: "ovs datapaths" already says so
    let found: Map<string, Record<string, string>>;
    try {
        found = new Map(rows(probe.out).map((r) => [String(r.name), r.external_ids ?? {}]));
    } catch {
        return [{ check: "bridges", ok: false, detail: `cannot read the bridge list: ${probe.out.split("\n")[0]}`, fix: "check ovs-vsctl" }];
    }
    const out: Finding[] = [];
    const seen: string[] = [];
    for (const b of wanted) {
        const ids = found.get(b.name);
        if (!ids) seen.push(`${b.name} absent`);
        else if (ids[OWNER_KEY]) seen.push(`${b.name} marked by ${ids[OWNER_KEY]}`);
        else if (b.adopt) seen.push(`${b.name} exists, adopted`);
        else
            out.push({
                check: `bridge ${b.name}`,
                ok: false,
                detail: `${b.name} exists and dvrlab did not create it (no external_ids:${OWNER_KEY}); dvrlab never takes over a bridge it was not asked to`,
                fix: `to use it, list it in this host's adopt (topology hosts[].adopt: [${b.name}]; destroy then leaves it, removing only what dvrlab added), or remove it, or give the host other bridge names`,
            });
    }
    if (!out.length) out.push({ check: "bridges", ok: true, detail: seen.join(", ") });
    return out;
}

function udpFinding(p: Record<string, Probe>, port: number): Finding {
    const check = `udp ${port}`;
    if (p.udp?.rc !== 0) return { check, ok: true, detail: "not checked (ss failed)" };
    const lines = p.udp.out.split("\n").filter((l) => l.trim());
    const foreign = lines.map((l) => /users:\(\("([^"]+)"/.exec(l)?.[1] ?? "").filter((u) => u !== "ovs-vswitchd");
    if (!lines.length) return { check, ok: true, detail: "free" };
    // A socket without a process is the kernel's: Open vSwitch's own vxlan_sys_<port> device, or someone else's vxlan.
    const ovsDevice = (p.vxlandev?.out ?? "").includes(`"vxlan_sys_${port}"`);
    const bad = foreign.filter((u) => u !== "" || !ovsDevice);
    if (!bad.length) return { check, ok: true, detail: "held by Open vSwitch" };
    return {
        check,
        ok: false,
        detail: `in use by ${bad.map((u) => u || "a kernel vxlan device").join(", ")}`,
        fix: `free UDP ${port} (another VXLAN user) or give the topology another vxlanPort`,
    };
}

/** One line per failed finding, naming the host: what a failed preflight throws. */
export function failureMessage(host: string, findings: Finding[]): string | undefined {
    const bad = findings.filter((f) => !f.ok);
    if (!bad.length) return undefined;
    return `preflight failed on ${host}, nothing was changed:\n${bad.map((f) => `  - ${f.check}: ${f.detail}${f.fix ? `; fix: ${f.fix}` : ""}`).join("\n")}`;
}
