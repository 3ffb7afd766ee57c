// `graph`: the network as graphviz DOT text, a pure function of the stack (outputs, state objects)
// and the hosts' live state. dot lays it out; here only what is drawn and how it looks.
import { extraPorts, GraphOutputs, hex, HostLive, StateObject, Status, statusOf } from "./model";

export interface GraphInput {
    stack: string;
    outputs: GraphOutputs;
    state: StateObject[];
    /** Per host name; a host missing here was not read (drawn as in the state). */
    live: Record<string, HostLive>;
}

/** A DOT quoted string: `"` and `\` escaped, newlines as dot's centred line break. */
export function q(s: string): string {
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

/** Fills per network (index in outputs.networks), none of them red or orange: those mean drift. */
export const NETWORK_FILLS = ["#cfe2ff", "#d3f2d3", "#fff0b3", "#e6d9ff", "#c9f0ef", "#f0e0c8"];
export const MISSING = "#d62728";
export const EXTRA = "#ff7f0e";

const attrs = (a: Record<string, string | undefined>) =>
    `[${Object.entries(a)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${q(v!)}`)
        .join(", ")}]`;

/** How a node or edge of this status looks, on top of its own attributes. */
function look(status: Status, fill: string): Record<string, string> {
    if (status === "missing") return { color: MISSING, fontcolor: MISSING, fillcolor: "#ffe5e5", style: "dashed,filled", penwidth: "2" };
    if (status === "extra") return { color: EXTRA, fontcolor: EXTRA, fillcolor: "#fff0e0", style: "dashed,filled", penwidth: "2" };
    return { fillcolor: fill, style: "filled" };
}
const mark = (label: string, status: Status, where: string) =>
    status === "missing" ? `${label}\nMISSING on ${where}` : status === "extra" ? `${label}\nnot in state` : label;

/** The networks a host carries: a VM, a DHCP server or a router leg of it is there. */
export function networksOn(o: GraphOutputs, state: StateObject[], host: string): string[] {
    const nets = new Set<string>();
    for (const m of o.machines) if (m.host === host) nets.add(m.network);
    for (const r of o.router?.routers ?? []) if (r.hosts.includes(host)) r.networks.forEach((n) => nets.add(n));
    for (const s of state) if (s.host === host && s.kind === "netns" && s.role === "dhcp") nets.add(s.name.replace(/^qdhcp-/, ""));
    return o.networks.map((n) => n.name).filter((n) => nets.has(n));
}

export function toDot(g: GraphInput): string {
    const { outputs: o, state } = g;
    const lines: string[] = [
        `digraph ${q(`dvrlab ${g.stack}`)} {`,
        `  graph ${attrs({ rankdir: "TB", compound: "true", fontname: "Helvetica", fontsize: "12", newrank: "true", nodesep: "0.25", ranksep: "0.45" })};`,
        `  node ${attrs({ fontname: "Helvetica", fontsize: "10", shape: "box", style: "filled", fillcolor: "#ffffff" })};`,
        `  edge ${attrs({ fontname: "Helvetica", fontsize: "9", dir: "none" })};`,
    ];
    const fillOf = (net: string) =>
        NETWORK_FILLS[
            Math.max(
                0,
                o.networks.findIndex((n) => n.name === net),
            ) % NETWORK_FILLS.length
        ];
    let indent = "    "; // inside a cluster; tunnels, between clusters, are drawn at the top level
    const node = (id: string, label: string, a: Record<string, string | undefined>) => lines.push(`${indent}${q(id)} ${attrs({ label, ...a })};`);
    const edge = (from: string, to: string, a: Record<string, string | undefined>) => lines.push(`${indent}${q(from)} -> ${q(to)} ${attrs(a)};`);
    const find = <K extends StateObject["kind"]>(kind: K, host: string, pred: (x: Extract<StateObject, { kind: K }>) => boolean) =>
        state.find((s) => s.kind === kind && s.host === host && pred(s as Extract<StateObject, { kind: K }>)) as Extract<StateObject, { kind: K }> | undefined;

    // the logical network: networks and routers, filled as their VMs are
    lines.push(`  subgraph "cluster_logical" {`, `    graph ${attrs({ label: "networks and routers", style: "rounded", color: "#888888" })};`);
    for (const n of o.networks)
        node(`net/${n.name}`, `${n.name}\n${n.cidr}\nVNI ${hex(n.vni)} · VLAN ${n.vlan}\ngateway ${n.gateway} · DHCP ${n.dhcpIp}`, {
            shape: "note",
            fillcolor: fillOf(n.name),
        });
    for (const r of o.router?.routers ?? []) {
        node(`router/${r.id}`, `router ${r.id}\n${r.namespace} on ${r.hosts.join(", ")}`, { shape: "octagon", fillcolor: "#eeeeee" });
        for (const n of r.networks) edge(`router/${r.id}`, `net/${n}`, { label: o.networks.find((x) => x.name === n)?.gateway });
    }
    lines.push(`  }`);

    for (const h of o.hosts) {
        const live = g.live[h.name];
        const down = live?.error !== undefined;
        const id = (s: string) => `${h.name}/${s}`;
        lines.push(
            `  subgraph ${q(`cluster_${h.name}`)} {`,
            `    graph ${attrs({
                label: `${h.name} (${h.role})\n${h.host}${h.tunnelIp !== h.host ? ` · tunnel ${h.tunnelIp}` : ""}${down ? `\nUNREACHABLE: ${live!.error}` : ""}`,
                style: down ? "rounded,dashed" : "rounded",
                color: down ? MISSING : "#444444",
                fontcolor: down ? MISSING : "#000000",
            })};`,
        );
        const bridges = state.filter((s): s is Extract<StateObject, { kind: "bridge" }> => s.kind === "bridge" && s.host === h.name);
        for (const b of bridges) {
            const st = statusOf(b, live);
            node(id(b.name), mark(b.name, st, h.name), { shape: "box3d", ...look(st, "#e8e8e8") });
        }
        // patch ports: one edge br-int — br-tun, missing if either end is
        const patch = state.filter((s): s is Extract<StateObject, { kind: "port" }> => s.kind === "port" && s.host === h.name && s.type === "patch");
        const patchTun = patch.find((p) => p.bridge === "br-int");
        const patchInt = patch.find((p) => p.bridge === "br-tun");
        if (patchTun && patchInt) {
            const st: Status = statusOf(patchTun, live) === "ok" && statusOf(patchInt, live) === "ok" ? "ok" : "missing";
            edge(id("br-int"), id("br-tun"), { label: mark(`${patchTun.name} ↔ ${patchInt.name}`, st, h.name), ...edgeLook(st) });
        }
        // each VM: vm — tap — qbr — qvb — qvo — br-int
        for (const m of o.machines.filter((x) => x.host === h.name)) {
            const fill = fillOf(m.network);
            const veth = find("veth", h.name, (v) => v.peer === m.qvo);
            // a netns guest is its namespace; a libvirt guest its running domain
            const guest = m.namespace
                ? find("netns", h.name, (n) => n.name === m.namespace)
                : m.domain
                  ? find("domain", h.name, (d) => d.name === m.domain)
                  : undefined;
            const vmStatus = guest ? statusOf(guest, live) : "ok";
            node(id(`vm/${m.id}`), mark(`${m.id}${m.kind ? ` (${m.kind})` : ""}\n${m.mac}\n${m.ip} · ${m.network}`, vmStatus, h.name), {
                shape: "ellipse",
                ...look(vmStatus, fill),
            });
            const chain: [string, Status][] = [[id(`vm/${m.id}`), vmStatus]];
            const link = (name: string): Status => (live && !live.error && !live.links.some((l) => l.name === name) ? "missing" : "ok");
            const tapStatus = link(m.tap);
            node(id(m.tap), mark(m.tap, tapStatus, h.name), { ...look(tapStatus, fill), shape: "box" });
            chain.push([id(m.tap), tapStatus]);
            if (veth?.master) {
                const qbr = find("linuxBridge", h.name, (b) => b.name === veth.master);
                const st = qbr ? statusOf(qbr, live) : link(veth.master);
                node(id(veth.master), mark(veth.master, st, h.name), { ...look(st, fill), shape: "box" });
                chain.push([id(veth.master), st]);
            }
            if (veth) {
                const st = link(veth.name);
                node(id(veth.name), mark(veth.name, st, h.name), { ...look(st, fill), shape: "box" });
                chain.push([id(veth.name), st]);
            }
            const qvo = find("port", h.name, (p) => p.name === m.qvo);
            const qvoStatus = qvo ? statusOf(qvo, live) : link(m.qvo);
            node(id(m.qvo), mark(`${m.qvo}${qvo?.tag !== undefined ? `\ntag ${qvo.tag}` : ""}`, qvoStatus, h.name), { ...look(qvoStatus, fill), shape: "box" });
            chain.push([id(m.qvo), qvoStatus], [id(qvo?.bridge ?? "br-int"), "ok"]);
            for (let i = 1; i < chain.length; i++) {
                const st = chain[i - 1][1] === "ok" && chain[i][1] === "ok" ? "ok" : "missing";
                edge(chain[i - 1][0], chain[i][0], edgeLook(st));
            }
        }
        // DHCP and router namespaces, each joined to its bridge by its ports
        for (const ns of state.filter((s): s is Extract<StateObject, { kind: "netns" }> => s.kind === "netns" && s.host === h.name && s.role !== "guest")) {
            const ports = state.filter((s): s is Extract<StateObject, { kind: "port" }> => s.kind === "port" && s.host === h.name && s.namespace === ns.name);
            const st = statusOf(ns, live);
            const label = `${ns.name}\n${ports.map((p) => `${p.name} ${p.address ?? ""}`.trim()).join("\n")}`;
            const net = ns.role === "dhcp" ? ns.name.replace(/^qdhcp-/, "") : "";
            node(id(`ns/${ns.name}`), mark(label, st, h.name), { shape: "component", ...look(st, net ? fillOf(net) : "#eeeeee") });
            for (const p of ports) {
                const ps = statusOf(p, live);
                edge(id(`ns/${ns.name}`), id(p.bridge), { label: mark(`${p.name}${p.tag !== undefined ? ` tag ${p.tag}` : ""}`, ps, h.name), ...edgeLook(ps) });
            }
        }
        // ports on our bridges that the stack did not make
        for (const { bridge, port } of extraPorts(state, h.name, live)) {
            if (port.type === "vxlan") continue; // drawn as a tunnel below
            node(id(`extra/${port.name}`), mark(`${port.name}${port.type ? ` (${port.type})` : ""}`, "extra", h.name), { ...look("extra", "#ffffff") });
            edge(id(`extra/${port.name}`), id(bridge), edgeLook("extra"));
        }
        lines.push(`  }`);
    }

    indent = "  ";
    // tunnels: one edge per pair of hosts, naming each side's VXLAN port (so a port missing on one side shows on the pair)
    const byTunnelIp = new Map(o.hosts.map((h) => [h.tunnelIp, h.name]));
    const ends: { host: string; bridge: string; name: string; remoteIp?: string; status: Status }[] = [];
    for (const p of state) if (p.kind === "port" && p.type === "vxlan") ends.push({ ...p, status: statusOf(p, g.live[p.host]) });
    for (const h of o.hosts)
        for (const { bridge, port } of extraPorts(state, h.name, g.live[h.name]))
            if (port.type === "vxlan") ends.push({ host: h.name, bridge, name: port.name, remoteIp: port.options.remote_ip, status: "extra" });
    const order = (h: string) => o.hosts.findIndex((x) => x.name === h);
    const pairs = new Map<string, { a: string; b: string; ends: typeof ends }>();
    for (const e of ends) {
        const peer = e.remoteIp ? byTunnelIp.get(e.remoteIp) : undefined;
        if (!peer) {
            // a tunnel to no host of the stack: a node of its own
            node(`${e.host}/tunnel/${e.name}`, mark(`${e.name}\nto ${e.remoteIp ?? "?"}`, e.status, e.host), look(e.status, "#ffffff"));
            edge(`${e.host}/${e.bridge}`, `${e.host}/tunnel/${e.name}`, edgeLook(e.status));
            continue;
        }
        const [a, b] = order(e.host) < order(peer) ? [e.host, peer] : [peer, e.host];
        const pair = pairs.get(`${a} ${b}`) ?? { a, b, ends: [] };
        pair.ends.push(e);
        pairs.set(`${a} ${b}`, pair);
    }
    for (const { a, b, ends: es } of pairs.values()) {
        es.sort((x, y) => order(x.host) - order(y.host) || x.name.localeCompare(y.name));
        const vnis = networksOn(o, state, a)
            .filter((n) => networksOn(o, state, b).includes(n))
            .map((n) => hex(o.networks.find((x) => x.name === n)!.vni));
        const status: Status = es.some((e) => e.status === "missing") ? "missing" : es.some((e) => e.status === "extra") ? "extra" : "ok";
        const side = (e: (typeof es)[number]) => `${e.host}: ${e.name}${e.status === "missing" ? " MISSING" : e.status === "extra" ? " not in state" : ""}`;
        const bridgeOf = (h: string) => es.find((e) => e.host === h)?.bridge ?? "br-tun";
        edge(`${a}/${bridgeOf(a)}`, `${b}/${bridgeOf(b)}`, {
            label: [`VXLAN${vnis.length ? ` VNI ${vnis.join(" ")}` : ""}`, ...es.map(side)].join("\n"),
            ...edgeLook(status, "#1f5fa8"),
        });
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

function edgeLook(status: Status, ok = "#444444"): Record<string, string> {
    if (status === "missing") return { color: MISSING, fontcolor: MISSING, style: "dashed", penwidth: "2" };
    if (status === "extra") return { color: EXTRA, fontcolor: EXTRA, style: "dashed", penwidth: "2" };
    return { color: ok, fontcolor: ok };
}
