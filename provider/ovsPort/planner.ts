import { Argv } from "../ssh/quote";
import { ADOPTED_KEY, mapArgs, optional, OWNER_KEY, rows, vsctl } from "../ovs/vsctl";
import { OvsPortSpec } from "./schema";

export interface PortState {
    bridge?: string;
    tag?: number;
    externalIds: Record<string, string>;
    type: string;
    options: Record<string, string>;
    ofport?: number;
    ofportRequest?: number;
    error?: string;
}

/** The port's bridge, Port row and Interface row in one call. */
export const showPort = (name: string): Argv => [
    "sh",
    "-c",
    'ovs-vsctl --timeout=10 port-to-br "$1" || exit 0; ' +
        'ovs-vsctl --timeout=10 --format=json --columns=tag,external_ids find Port name="\\"$1\\""; ' +
        'ovs-vsctl --timeout=10 --format=json --columns=type,options,ofport,ofport_request,error find Interface name="\\"$1\\""',
    "sh",
    name,
];

export function parsePort(out: string): PortState | undefined {
    const lines = out.split("\n").filter((l) => l.trim());
    if (lines.length < 3) return undefined; // port-to-br failed: no such port
    const port = rows(lines[1])[0];
    const intf = rows(lines[2])[0];
    if (!port || !intf) return undefined;
    const ofport = optional<number>(intf.ofport);
    return {
        bridge: lines[0].trim(),
        tag: optional<number>(port.tag),
        externalIds: port.external_ids ?? {},
        type: intf.type || "system",
        options: intf.options ?? {},
        ofport: ofport !== undefined && ofport >= 0 ? ofport : undefined,
        ofportRequest: optional<number>(intf.ofport_request),
        error: optional<string>(intf.error),
    };
}

/** OVS interface options, in OVS's own key names. */
export function ovsOptions(p: OvsPortSpec): Record<string, string> {
    const o: Record<string, string> = {};
    if (p.options.peer) o.peer = p.options.peer;
    if (p.options.remoteIp) o.remote_ip = p.options.remoteIp;
    if (p.options.localIp) o.local_ip = p.options.localIp;
    if (p.options.key !== undefined) o.key = String(p.options.key);
    if (p.options.dstPort !== undefined) o.dst_port = String(p.options.dstPort);
    return o;
}

function interfaceSettings(p: OvsPortSpec): string[] {
    const s = [`type=${p.type === "system" ? '""' : p.type}`, ...mapArgs("options", ovsOptions(p))];
    if (p.ofportRequest !== undefined) s.push(`ofport_request=${p.ofportRequest}`);
    return s;
}

function portSettings(p: OvsPortSpec): string[] {
    const s = mapArgs("external_ids", { ...p.externalIds, [OWNER_KEY]: p.owner });
    if (p.tag !== undefined) s.push(`tag=${p.tag}`);
    return s;
}

/** One transaction: add-port with interface and port settings, or nothing. */
export function planCreate(p: OvsPortSpec): Argv[] {
    return [
        vsctl("--", "add-port", p.bridge, p.name, "--", "set", "Interface", p.name, ...interfaceSettings(p), "--", "set", "Port", p.name, ...portSettings(p)),
    ];
}

/** Brings an existing port to the spec in one transaction (tag, options, ids: all in place). */
export function planConverge(cur: PortState, p: OvsPortSpec): Argv[] {
    const adopted = cur.externalIds[ADOPTED_KEY] === "true";
    const cmd = vsctl("--", "set", "Interface", p.name, ...interfaceSettings(p), "--", "set", "Port", p.name, ...portSettings(p));
    if (adopted) cmd.push("--", "set", "Port", p.name, `external_ids:${ADOPTED_KEY}=true`);
    const want = ovsOptions(p);
    // An adopted port's own options and external_ids are the host's: never removed.
    if (!adopted) {
        for (const k of Object.keys(cur.options)) if (!(k in want)) cmd.push("--", "remove", "Interface", p.name, "options", k);
        for (const k of Object.keys(cur.externalIds)) if (k !== OWNER_KEY && !(k in p.externalIds)) cmd.push("--", "remove", "Port", p.name, "external_ids", k);
    }
    if (p.tag === undefined && cur.tag !== undefined) cmd.push("--", "clear", "Port", p.name, "tag");
    if (p.ofportRequest === undefined && cur.ofportRequest !== undefined) cmd.push("--", "clear", "Interface", p.name, "ofport_request");
    return [cmd];
}

export const planDelete = (bridge: string, name: string): Argv[] => [vsctl("--if-exists", "del-port", bridge, name)];

/** Adopts an unmanaged port: converged to the spec and marked ours and adopted, its own ids and options kept. */
export function planAdopt(cur: PortState, p: OvsPortSpec): Argv[] {
    return planConverge({ ...cur, externalIds: { ...cur.externalIds, [ADOPTED_KEY]: "true" } }, p);
}

/** What destroy does to an adopted port: only dvrlab's marks go; the port stays. */
export const planRelease = (name: string): Argv[] => [
    vsctl("--if-exists", "remove", "Port", name, "external_ids", OWNER_KEY, "--", "--if-exists", "remove", "Port", name, "external_ids", ADOPTED_KEY),
];

/** Host state in input form. */
export function toInputs(cur: PortState, olds: OvsPortSpec): OvsPortSpec {
    const o = cur.options;
    const options: OvsPortSpec["options"] = {};
    if (o.peer !== undefined) options.peer = o.peer;
    if (o.remote_ip !== undefined) options.remoteIp = o.remote_ip;
    if (o.local_ip !== undefined) options.localIp = o.local_ip;
    if (o.key !== undefined) options.key = o.key === "flow" ? "flow" : Number(o.key);
    if (o.dst_port !== undefined) options.dstPort = Number(o.dst_port);
    const { [OWNER_KEY]: own, [ADOPTED_KEY]: _adopted, ...ext } = cur.externalIds;
    const r: OvsPortSpec = { ...olds, bridge: cur.bridge ?? olds.bridge, owner: own ?? "", type: cur.type as any, options, externalIds: ext };
    if (cur.tag !== undefined) r.tag = cur.tag;
    else delete r.tag;
    if (olds.ofportRequest !== undefined || cur.ofportRequest !== undefined) r.ofportRequest = cur.ofportRequest;
    return r;
}
