// `graph`, the pure part: what the stack says it built (its outputs and the resources of its
// exported state) and what a host has (ovs-vsctl, ip -j link, ip -j netns), parsed and compared.
// The DOT text (dot.ts) and the HTML page (html.ts) are drawn from the result.
import { z } from "zod";

/** In the state and on the host; in the state only (deleted by hand, or never made); on the host only. */
export type Status = "ok" | "missing" | "extra";

const host = z.object({ name: z.string(), host: z.string(), tunnelIp: z.string(), role: z.string() }).passthrough();
/** The stack outputs graph reads (a subset of verify's: netns guests have no command channel). */
export const graphOutputsSchema = z.object({
    hosts: z.array(host),
    networks: z.array(
        z.object({ name: z.string(), cidr: z.string(), vni: z.number(), vlan: z.number(), dhcpIp: z.string(), gateway: z.string() }).passthrough(),
    ),
    machines: z.array(
        z
            .object({
                id: z.string(),
                host: z.string(),
                network: z.string(),
                ip: z.string(),
                mac: z.string(),
                tap: z.string(),
                qvo: z.string(),
                kind: z.string().optional(),
                namespace: z.string().optional(),
                domain: z.string().optional(),
            })
            .passthrough(),
    ),
    router: z
        .object({
            routers: z.array(z.object({ id: z.string(), namespace: z.string(), networks: z.array(z.string()), hosts: z.array(z.string()) })).default([]),
        })
        .passthrough()
        .optional(),
});
export type GraphOutputs = z.output<typeof graphOutputsSchema>;

/** One object of ours on a host, from a resource of the exported state. */
export type StateObject =
    | { kind: "bridge"; host: string; name: string }
    | { kind: "port"; host: string; bridge: string; name: string; type: string; tag?: number; remoteIp?: string; namespace?: string; address?: string }
    | { kind: "linuxBridge"; host: string; name: string }
    | { kind: "veth"; host: string; name: string; peer: string; master?: string }
    | { kind: "netns"; host: string; name: string; role: "router" | "dhcp" | "guest" }
    | { kind: "domain"; host: string; name: string };

/**
 * The objects of `pulumi stack export`'s resources that graph draws, keyed by the host in their
 * `connection` (resources without one, components, are skipped).
 */
export function stateObjects(exported: any): StateObject[] {
    const out: StateObject[] = [];
    for (const r of exported?.deployment?.resources ?? []) {
        const o = r.outputs ?? {};
        const h: string | undefined = o.connection?.name;
        const type = String(r.type ?? "")
            .split(":")
            .pop();
        if (!h) continue;
        if (type === "DhcpServer") {
            out.push({ kind: "netns", host: h, name: o.namespace, role: "dhcp" });
            out.push({ kind: "port", host: h, bridge: o.bridge, name: o.portName, type: "internal", tag: o.tag, namespace: o.namespace, address: o.address });
        }
        if (typeof o.name !== "string") continue;
        if (type === "OvsBridge") out.push({ kind: "bridge", host: h, name: o.name });
        else if (type === "OvsPort")
            out.push({ kind: "port", host: h, bridge: o.bridge, name: o.name, type: o.type ?? "system", tag: o.tag, remoteIp: o.options?.remoteIp });
        else if (type === "RouterPort")
            out.push({ kind: "port", host: h, bridge: o.bridge, name: o.name, type: "internal", tag: o.tag, namespace: o.namespace, address: o.address });
        else if (type === "LinuxBridge") out.push({ kind: "linuxBridge", host: h, name: o.name });
        else if (type === "VethPair") out.push({ kind: "veth", host: h, name: o.name, peer: o.peer, master: o.nameEnd?.master });
        else if (type === "RouterNamespace") out.push({ kind: "netns", host: h, name: o.name, role: "router" });
        else if (type === "NetnsGuest") out.push({ kind: "netns", host: h, name: o.name, role: "guest" });
        else if (type === "LibvirtDomain") out.push({ kind: "domain", host: h, name: o.name });
    }
    return out;
}

export interface LivePort {
    name: string;
    type: string;
    ofport?: number;
    tag?: number;
    options: Record<string, string>;
}
export interface HostLive {
    /** Why the host could not be read (then nothing else is known). */
    error?: string;
    bridges: { name: string; ports: LivePort[] }[];
    links: { name: string; master?: string; up: boolean }[];
    netns: string[];
    /** Running libvirt domains (read only when the state has a domain on the host). */
    domains?: string[];
    /** `ovs-ofctl dump-flows` per bridge, one flow a line. */
    flows: Record<string, string[]>;
}

/** OVSDB's JSON values: ["set", […]], ["map", [[k, v]…]], ["uuid", "…"], scalars. */
const ovsSet = (v: any): any[] => (Array.isArray(v) && v[0] === "set" ? v[1] : [v]);
const ovsMap = (v: any): Record<string, string> => (Array.isArray(v) && v[0] === "map" ? Object.fromEntries(v[1]) : {});
const ovsUuid = (v: any): string => (Array.isArray(v) && v[0] === "uuid" ? v[1] : String(v));

/**
 * `ovs-vsctl --format=json --columns=name,ports list Bridge -- --columns=_uuid,name,tag,interfaces
 * list Port -- --columns=_uuid,name,type,ofport,options list Interface`: three JSON documents, one a line.
 */
export function parseOvs(text: string): HostLive["bridges"] {
    const [bridges, ports, ifaces] = text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).data as any[][]);
    if (!bridges || !ports || !ifaces) throw new Error(`ovs-vsctl: expected 3 tables, got ${text.slice(0, 200)}`);
    const ifaceBy = new Map(ifaces.map(([uuid, name, type, ofport, options]) => [ovsUuid(uuid), { name, type, ofport, options: ovsMap(options) }]));
    const portBy = new Map(
        ports.map(([uuid, name, tag, interfaces]) => {
            const i = ifaceBy.get(ovsUuid(ovsSet(interfaces)[0]));
            const t = ovsSet(tag)[0];
            const p: LivePort = { name, type: i?.type || "system", options: i?.options ?? {} };
            if (typeof i?.ofport === "number") p.ofport = i.ofport;
            if (typeof t === "number") p.tag = t;
            return [ovsUuid(uuid), p] as const;
        }),
    );
    return bridges
        .map(([name, p]) => ({
            name: name as string,
            ports: ovsSet(p)
                .map((u) => portBy.get(ovsUuid(u))!)
                .filter(Boolean)
                .sort((a, b) => a.name.localeCompare(b.name)),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
}

/** `ip -j link show`. */
export function parseLinks(json: string): HostLive["links"] {
    return (JSON.parse(json || "[]") as any[]).map((l) => ({
        name: l.ifname,
        ...(l.master ? { master: l.master } : {}),
        up: (l.flags ?? []).includes("UP"),
    }));
}

/** `ip -j netns list` (prints nothing at all when there is none). */
export function parseNetns(json: string): string[] {
    return json.trim() ? (JSON.parse(json) as { name: string }[]).map((n) => n.name).sort() : [];
}

/** `virsh -q list --name`: running domains, one a line. */
export function parseDomains(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .sort();
}

/** `ovs-ofctl dump-flows`: the flow lines, without the reply header. */
export function parseFlows(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("NXST_FLOW") && !l.startsWith("OFPST_FLOW"));
}

/** Whether a state object is on the host; unknown hosts (unreadable) count as present, drawn as such by the host. */
export function statusOf(o: StateObject, live: HostLive | undefined): Status {
    if (!live || live.error) return "ok";
    const has = (() => {
        switch (o.kind) {
            case "bridge":
                return live.bridges.some((b) => b.name === o.name);
            case "port":
                return !!live.bridges.find((b) => b.name === o.bridge)?.ports.some((p) => p.name === o.name);
            case "linuxBridge":
                return live.links.some((l) => l.name === o.name);
            case "veth":
                return live.links.some((l) => l.name === o.name) && live.links.some((l) => l.name === o.peer);
            case "netns":
                return live.netns.includes(o.name);
            case "domain":
                return live.domains?.includes(o.name) ?? true;
        }
    })();
    return has ? "ok" : "missing";
}

/** Ports on a bridge of ours that no resource of the stack made (the bridge's own internal port aside). */
export function extraPorts(state: StateObject[], hostName: string, live: HostLive | undefined): { bridge: string; port: LivePort }[] {
    if (!live || live.error) return [];
    const ours = state.filter((o) => o.host === hostName);
    const out: { bridge: string; port: LivePort }[] = [];
    for (const b of live.bridges) {
        if (!ours.some((o) => o.kind === "bridge" && o.name === b.name)) continue;
        for (const p of b.ports)
            if (p.name !== b.name && !ours.some((o) => o.kind === "port" && o.bridge === b.name && o.name === p.name)) out.push({ bridge: b.name, port: p });
    }
    return out;
}

export const hex = (n: number) => `0x${n.toString(16)}`;

/** One line per object that differs between the state and a host, and per host that could not be read. */
export function driftLines(state: StateObject[], live: Record<string, HostLive>): string[] {
    const out: string[] = [];
    for (const [h, l] of Object.entries(live)) if (l.error) out.push(`${h}: could not be read (${l.error})`);
    const what = (o: StateObject) =>
        o.kind === "port" ? `${o.bridge} port ${o.name}` : o.kind === "linuxBridge" ? `linux bridge ${o.name}` : `${o.kind} ${o.name}`;
    for (const o of state) if (statusOf(o, live[o.host]) === "missing") out.push(`${o.host}: ${what(o)} MISSING (in the state, not on the host)`);
    for (const h of Object.keys(live).sort())
        for (const { bridge, port } of extraPorts(state, h, live[h])) out.push(`${h}: ${bridge} port ${port.name} not in state (on the host only)`);
    return out;
}
