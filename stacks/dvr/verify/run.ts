// `npm run verify`, the doing part: runs the planned checks inside the guests (over each host's SSH
// connection to the guest's command channel) and on the hosts, and on a failure collects
// `ovs-appctl ofproto/trace` of the failing packet on every bridge it crosses.
import { NodeSSH } from "node-ssh";
import { guestExec, GuestSocket, sshSocket, waitForAgent } from "../../../lab/guest/channel";
import { parseKnownHosts, verifyHostKey } from "../../../provider/ssh/knownHosts";
import { Argv, shellJoin } from "../../../provider/ssh/quote";
import type { Credentials } from "../../../provider/ssh/executor";
import { arpTrace, Check, dhcpTrace, fdbRowsFor, Machine, packetsOf, pingTrace, planChecks, routedTrace, StackOutputs, TraceStep } from "./plan";

export interface CheckResult {
    name: string;
    kind: Check["kind"];
    pass: boolean;
    evidence: string[];
    trace?: string[];
    ms: number;
}

type Creds = (h: StackOutputs["hosts"][number]) => Credentials;

class Hosts {
    private conns = new Map<string, Promise<NodeSSH>>();
    constructor(
        private readonly o: StackOutputs,
        private readonly creds: Creds,
    ) {}

    ssh(name: string): Promise<NodeSSH> {
        let c = this.conns.get(name);
        if (!c) {
            const h = this.o.hosts.find((x) => x.name === name);
            if (!h) throw new Error(`unknown host ${name}`);
            const cr = this.creds(h);
            const known = parseKnownHosts(cr.knownHosts);
            const ssh = new NodeSSH();
            c = ssh
                .connect({
                    host: h.host,
                    port: h.port,
                    username: h.user,
                    privateKey: cr.privateKey,
                    passphrase: cr.passphrase,
                    readyTimeout: 10_000,
                    hostVerifier: (key: Buffer) => verifyHostKey(known, h.host, h.port, key) === undefined,
                } as any)
                .then(() => ssh);
            this.conns.set(name, c);
        }
        return c;
    }

    async run(name: string, argv: Argv): Promise<{ code: number; stdout: string; stderr: string }> {
        const r = await (await this.ssh(name)).execCommand(shellJoin(argv));
        return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    }

    async guest(vm: Machine): Promise<GuestSocket> {
        return sshSocket((await this.ssh(vm.host)).connection! as any, vm.channelSocket, vm.id);
    }

    close(): void {
        for (const c of this.conns.values()) c.then((s) => s.dispose()).catch(() => undefined);
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The OpenFlow port number of OVS interface `port` on `host` ("" when there is none). */
async function ofportOf(hosts: Hosts, host: string, port: string): Promise<string> {
    return (await hosts.run(host, ["ovs-vsctl", "get", "Interface", port, "ofport"])).stdout.trim();
}

async function trace(hosts: Hosts, steps: TraceStep[]): Promise<string[]> {
    const out: string[] = [];
    for (const s of steps) {
        let flow = s.flow;
        for (const [, port] of flow.matchAll(/\{port:([A-Za-z0-9_.-]+)\}/g)) {
            flow = flow.replace(`{port:${port}}`, (await ofportOf(hosts, s.host, port)) || "NONE");
        }
        const r = await hosts.run(s.host, ["ovs-appctl", "ofproto/trace", s.bridge, flow]);
        out.push(`--- ${s.host} ${s.bridge}: ofproto/trace ${flow}`, ...(r.stdout + r.stderr).trimEnd().split("\n").map((l) => `    ${l}`));
    }
    return out;
}

async function gexec(hosts: Hosts, vm: Machine, argv: string[], timeoutMs = 15_000) {
    return guestExec(await hosts.guest(vm), argv, { timeoutMs });
}

async function checkDhcp(hosts: Hosts, o: StackOutputs, vm: Machine, waitMs: number): Promise<Omit<CheckResult, "name" | "kind" | "ms">> {
    const net = o.networks.find((n) => n.name === vm.network)!;
    const sock = await hosts.guest(vm);
    await waitForAgent(sock, waitMs);
    // Right after `up` a guest may still be booting: give it the time a lease takes (bounded).
    const end = Date.now() + waitMs;
    let addr = "";
    for (;;) {
        addr = (await guestExec(sock, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])).stdout.trim();
        if (addr.includes(`inet ${vm.ip}/${net.prefix} `) || Date.now() > end) break;
        await sleep(250);
    }
    const lease = (await guestExec(sock, ["cat", "/run/dvrlab-lease"])).stdout.trim();
    const pass = addr.includes(`inet ${vm.ip}/${net.prefix} `);
    return {
        pass,
        evidence: [`in ${vm.id} (on ${vm.host}): ${addr.replace(/\\\s+/g, " ") || "eth0 has no IPv4 address"}`, `lease: ${lease || "(none)"}`],
        trace: pass ? undefined : await trace(hosts, dhcpTrace(vm)),
    };
}

/** The DROP counter of the VM's ingress chain (packets the security group refused). */
async function sgDrops(hosts: Hosts, vm: Machine): Promise<number | undefined> {
    const r = await hosts.run(vm.host, ["iptables", "-w", "-L", `dvrl-i-${vm.id}`, "-v", "-x", "-n"]);
    const line = r.stdout.split("\n").find((l) => /\sDROP\s/.test(l));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

async function checkPing(hosts: Hosts, o: StackOutputs, c: Extract<Check, { kind: "ping" }>): Promise<Omit<CheckResult, "name" | "kind" | "ms">> {
    const from = o.machines.find((m) => m.id === c.from)!;
    const to = o.machines.find((m) => m.id === c.to)!;
    const dropsBefore = c.expect === "blocked" ? await sgDrops(hosts, to) : undefined;
    // One echo first, not counted: right after a change the path may still be learning (ARP, MAC tables).
    await gexec(hosts, from, ["ping", "-c", "1", "-W", "1", to.ip]);
    const r = await gexec(hosts, from, ["ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "3", to.ip]);
    const summary = r.stdout.split("\n").find((l) => /packets transmitted/.test(l)) ?? r.stdout.trim().split("\n").pop() ?? "";
    const evidence = [`in ${from.id} (on ${from.host}): ping ${to.ip}: ${summary.trim() || r.stderr.trim()}`];
    let pass: boolean;
    if (c.expect === "reply") {
        pass = r.code === 0;
    } else {
        // Blocked by the group, not by a broken network: ARP resolved (L2 works) and the group's DROP counted the echoes.
        const neigh = (await gexec(hosts, from, ["ip", "neigh", "show", to.ip])).stdout.trim();
        const dropsAfter = await sgDrops(hosts, to);
        const dropped = dropsBefore !== undefined && dropsAfter !== undefined ? dropsAfter - dropsBefore : undefined;
        evidence.push(`neighbor entry in ${from.id}: ${neigh || "(none)"}`, `${to.host} iptables dvrl-i-${to.id} DROP counter: +${dropped ?? "?"}`);
        pass = r.code !== 0 && neigh.includes(`lladdr ${to.mac}`) && (dropped ?? 0) >= 1;
    }
    const steps = from.network === to.network ? pingTrace(o, from, to, to.mac) : routedTrace(o, from, to);
    return { pass, evidence, trace: pass ? undefined : await trace(hosts, steps) };
}

/**
 * The device VXLAN leaves a host by: the route to a peer's tunnel address; when that is an OVS
 * bridge (userspace tunnelling through br-phy), the bridge's physical port.
 */
async function underlayDevice(hosts: Hosts, o: StackOutputs, host: string): Promise<string> {
    const peer = o.hosts.find((h) => h.name !== host);
    if (!peer) throw new Error("one host: no underlay");
    const dev = (await hosts.run(host, ["ip", "route", "get", peer.tunnelIp])).stdout.match(/ dev (\S+)/)?.[1];
    if (!dev) throw new Error(`${host}: no route to ${peer.tunnelIp}`);
    if ((await hosts.run(host, ["ovs-vsctl", "br-exists", dev])).code !== 0) return dev;
    const ports = (await hosts.run(host, ["ovs-vsctl", "list-ports", dev])).stdout.split("\n").filter(Boolean);
    for (const p of ports) if ((await hosts.run(host, ["ovs-vsctl", "get", "Interface", p, "type"])).stdout.trim() === '""') return p;
    return dev;
}

/** VXLAN on a host's underlay (outer and inner headers, one string per packet) while `during` runs. */
async function captureVxlan(hosts: Hosts, o: StackOutputs, host: string, during: () => Promise<unknown>): Promise<string[]> {
    const dev = await underlayDevice(hosts, o, host);
    const cap = hosts.run(host, ["timeout", "5", "tcpdump", "-i", dev, "-nn", "-e", "-l", "-T", "vxlan", "udp dst port 4789"]);
    await sleep(800); // tcpdump attaches
    await during();
    const out = (await cap).stdout;
    return out.split(/\n(?=\d\d:\d\d:\d\d\.)/).filter((l) => l.includes("vni"));
}

async function checkL3(hosts: Hosts, o: StackOutputs, c: Extract<Check, { kind: "routed-on-source" | "no-gateway-arp" | "same-host-local" }>): Promise<Omit<CheckResult, "name" | "kind" | "ms">> {
    const from = o.machines.find((m) => m.id === c.from)!;
    const to = o.machines.find((m) => m.id === c.to)!;
    const netOf = (m: Machine) => o.networks.find((n) => n.name === m.network)!;
    const ping = () => gexec(hosts, from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to.ip]);
    if (c.kind === "routed-on-source") {
        await ping(); // ARP and learning out of the way
        const pkts = await captureVxlan(hosts, o, from.host, ping);
        const dvr = o.router!.dvrMacs[from.host];
        const vni = netOf(to).vni;
        const echo = pkts.filter((p) => p.includes(`${from.ip} > ${to.ip}: ICMP echo request`));
        const routed = echo.filter((p) => new RegExp(`vni ${vni}\\b`).test(p) && p.includes(`${dvr} > ${to.mac}`));
        const evidence = [
            `${from.host} underlay: ${echo.length} VXLAN echo requests ${from.ip} > ${to.ip}, ${routed.length} with vni ${vni} (${to.network}) and inner ${dvr} (${from.host}'s DVR MAC) > ${to.mac}`,
            ...echo.slice(0, 1).map((p) => `  ${p.replace(/\s+/g, " ").slice(0, 300)}`),
        ];
        const pass = echo.length >= 1 && routed.length === echo.length;
        return { pass, evidence, trace: pass ? undefined : await trace(hosts, routedTrace(o, from, to)) };
    }
    if (c.kind === "no-gateway-arp") {
        const gw = netOf(from).gateway;
        const pkts = await captureVxlan(hosts, o, from.host, async () => {
            await gexec(hosts, from, ["ip", "neigh", "flush", "dev", "eth0"]);
            await ping();
        });
        const arps = pkts.filter((p) => p.includes(`ARP, Request who-has ${gw}`) || p.includes(`ARP, Reply ${gw}`));
        const neigh = (await gexec(hosts, from, ["ip", "neigh", "show", gw])).stdout.trim();
        const gwMac = netOf(from).gatewayMac;
        const evidence = [`${from.id} re-learnt its gateway: ${neigh || "(no entry)"}`, `${from.host} underlay during it: ${pkts.length} VXLAN packets, ${arps.length} ARP for ${gw}`];
        return { pass: arps.length === 0 && !!gwMac && neigh.includes(`lladdr ${gwMac}`), evidence };
    }
    await ping();
    const pkts = await captureVxlan(hosts, o, from.host, ping);
    const ours = pkts.filter((p) => p.includes(`${from.ip} > ${to.ip}`) || p.includes(`${to.ip} > ${from.ip}`));
    const r = await ping();
    const evidence = [`${from.host} underlay during ${from.id} → ${to.id}: ${ours.length} VXLAN packets between them (${pkts.length} VXLAN in all)`, `ping: ${r.stdout.split("\n").find((l) => /transmitted/.test(l)) ?? r.stdout}`];
    return { pass: ours.length === 0 && r.code === 0, evidence, trace: ours.length === 0 && r.code === 0 ? undefined : await trace(hosts, routedTrace(o, from, to)) };
}

async function checkArpSpoof(hosts: Hosts, o: StackOutputs, c: Extract<Check, { kind: "arp-spoof" }>): Promise<Omit<CheckResult, "name" | "kind" | "ms">> {
    const vm = o.machines.find((m) => m.id === c.vm)!;
    const dump = async () => (await hosts.run(vm.host, ["ovs-ofctl", "dump-flows", "br-int", "table=24"])).stdout;
    const drop = (d: string) => packetsOf(d, ["priority=0", "actions=drop"]) ?? NaN;
    const allow = (d: string) => packetsOf(d, [`in_port=${vm.ofport},`, `arp_spa=${vm.ip} `]) ?? NaN;
    const arping = (ip: string) => gexec(hosts, vm, ["arping", "-A", "-c", "2", "-w", "2", "-s", ip, "-I", "eth0", ip]);
    // The attack: claim an unused address of the subnet (busybox arping must bind it, so it is added for the moment).
    const d0 = await dump();
    await gexec(hosts, vm, ["ip", "addr", "add", `${c.spoofedIp}/32`, "dev", "eth0"]);
    let spoof;
    try {
        spoof = await arping(c.spoofedIp);
    } finally {
        await gexec(hosts, vm, ["ip", "addr", "del", `${c.spoofedIp}/32`, "dev", "eth0"]);
    }
    // OVS credits datapath hits to flows when its revalidator runs (every ~0.5 s): poll until they show.
    const settle = async (ok: (d: string) => boolean) => {
        let d = await dump();
        for (const end = Date.now() + 3000; !ok(d) && Date.now() < end; d = await dump()) await sleep(200);
        return d;
    };
    const d1 = await settle((d) => drop(d) - drop(d0) >= 2);
    const real = await arping(vm.ip);
    const d2 = await settle((d) => allow(d) - allow(d1) >= 2);
    const spoofDropped = drop(d1) - drop(d0);
    const realAllowed = allow(d2) - allow(d1);
    const realDropped = drop(d2) - drop(d1);
    const sent = (r: { stdout: string }) => r.stdout.match(/Sent (\d+)/)?.[1] ?? "?";
    const evidence = [
        `spoofed: ${vm.id} sent ${sent(spoof)} ARP replies claiming ${c.spoofedIp}: table 24 drop flow +${spoofDropped}`,
        `real: ${vm.id} sent ${sent(real)} ARP replies claiming ${vm.ip}: table 24 allow flow (in_port=${vm.ofport},arp_spa=${vm.ip}) +${realAllowed}, drop flow +${realDropped}`,
    ];
    const pass = spoofDropped >= 2 && realAllowed >= 2 && realDropped === 0;
    return { pass, evidence, trace: pass ? undefined : await trace(hosts, [...arpTrace(vm, c.spoofedIp), ...arpTrace(vm, vm.ip)]) };
}

async function checkGatewayMacLocal(hosts: Hosts, o: StackOutputs, c: Extract<Check, { kind: "gateway-mac-local" }>): Promise<Omit<CheckResult, "name" | "kind" | "ms">> {
    const gws = o.networks.filter((n) => o.router?.networks.includes(n.name) && n.gatewayMac).map((n) => n.gatewayMac!);
    const patch = await ofportOf(hosts, c.host, "patch-tun");
    const rows = fdbRowsFor((await hosts.run(c.host, ["ovs-appctl", "fdb/show", "br-int"])).stdout, gws);
    const leaked = rows.filter((r) => r.port === patch);
    const evidence = rows.length
        ? rows.map((r) => `br-int fdb: ${r.mac} vlan ${r.vlan} on port ${r.port}${r.port === patch ? " = patch-tun: leaked from another host" : ""}`)
        : [`br-int fdb: no gateway MAC (${gws.join(", ")}) learnt yet`];
    return { pass: !!patch && leaked.length === 0, evidence };
}

/** Runs every check; br-int's gateway MACs first, then DHCP (all guests at once), then pings (each source guest in parallel), then ARP spoofing (one at a time: shared counters). */
export async function verify(o: StackOutputs, creds: Creds, opts: { leaseWaitMs?: number; onResult?: (r: CheckResult) => void } = {}): Promise<CheckResult[]> {
    const hosts = new Hosts(o, creds);
    const results: CheckResult[] = [];
    const run = async (c: Check, fn: () => Promise<Omit<CheckResult, "name" | "kind" | "ms">>) => {
        const t0 = Date.now();
        let r: CheckResult;
        try {
            r = { name: c.name, kind: c.kind, ...(await fn()), ms: Date.now() - t0 };
        } catch (e: any) {
            r = { name: c.name, kind: c.kind, pass: false, evidence: [`error: ${e.message}`], ms: Date.now() - t0 };
        }
        results.push(r);
        opts.onResult?.(r);
    };
    try {
        const checks = planChecks(o);
        const byVm = (id: string) => o.machines.find((m) => m.id === id)!;
        // first, br-int's MAC tables as the last `up` left them: a guest's ARP during the pings below re-teaches
        // where its gateway is and hides a leak that blackholed its routed traffic until then
        for (const c of checks) if (c.kind === "gateway-mac-local") await run(c, () => checkGatewayMacLocal(hosts, o, c));
        await Promise.all(checks.filter((c) => c.kind === "dhcp").map((c) => run(c, () => checkDhcp(hosts, o, byVm((c as any).vm), opts.leaseWaitMs ?? 60_000))));
        const pings = checks.filter((c): c is Extract<Check, { kind: "ping" }> => c.kind === "ping");
        const sources = [...new Set(pings.map((p) => p.from))];
        await Promise.all(sources.map(async (s) => {
            for (const c of pings.filter((p) => p.from === s)) await run(c, () => checkPing(hosts, o, c));
        }));
        for (const c of checks) if (c.kind === "arp-spoof") await run(c, () => checkArpSpoof(hosts, o, c));
        // captures one at a time: each reads a whole host's underlay
        for (const c of checks) if (c.kind === "routed-on-source" || c.kind === "no-gateway-arp" || c.kind === "same-host-local") await run(c, () => checkL3(hosts, o, c));
    } finally {
        hosts.close();
    }
    return results;
}
