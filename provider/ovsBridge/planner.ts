import { Argv } from "../ssh/quote";
import { ADOPTED_KEY, mapArgs, optional, OWNER_KEY, rows, vsctl } from "../ovs/vsctl";
import { OvsBridgeSpec } from "./schema";

export interface BridgeRow {
    name: string;
    datapathType: string;
    failMode?: string;
    protocols: string[];
    externalIds: Record<string, string>;
}

export const findBridge = (name: string): Argv =>
    vsctl("--format=json", "--columns=name,datapath_type,fail_mode,protocols,external_ids", "find", "Bridge", `name=${JSON.stringify(name)}`);

export function parseBridge(json: string): BridgeRow | undefined {
    const r = rows(json)[0];
    if (!r) return undefined;
    return {
        name: r.name,
        datapathType: r.datapath_type || "system", // "" means the default, system
        failMode: optional<string>(r.fail_mode),
        // OVSDB JSON prints a one-element set as the bare value ("OpenFlow13"), not ["set", [...]]
        protocols: (r.protocols === undefined ? [] : Array.isArray(r.protocols) ? [...r.protocols] : [r.protocols]).sort(),
        externalIds: r.external_ids ?? {},
    };
}

function settings(b: OvsBridgeSpec, datapathType: string): string[] {
    return [
        `datapath_type=${datapathType}`,
        `fail_mode=${b.failMode}`,
        `protocols=${b.protocols.join(",")}`,
        ...mapArgs("external_ids", { ...b.externalIds, [OWNER_KEY]: b.owner }),
    ];
}

/** One OVSDB transaction: the bridge exists fully configured or not at all. */
export function planCreate(b: OvsBridgeSpec, datapathType: string): Argv[] {
    return [vsctl("--", "add-br", b.name, "--", "set", "Bridge", b.name, ...settings(b, datapathType))];
}

export { ADOPTED_KEY };

export function planConverge(cur: BridgeRow, b: OvsBridgeSpec, datapathType: string): Argv[] {
    const adopted = cur.externalIds[ADOPTED_KEY] === "true";
    // An adopted bridge's own external_ids (Neutron's bridge-id, …) are the host's: never removed.
    const stale = adopted ? [] : Object.keys(cur.externalIds).filter((k) => k !== OWNER_KEY && !(k in b.externalIds));
    const cmd = vsctl("--", "set", "Bridge", b.name, ...settings(b, datapathType));
    if (adopted) cmd.push("--", "set", "Bridge", b.name, `external_ids:${ADOPTED_KEY}=true`);
    for (const k of stale) cmd.push("--", "remove", "Bridge", b.name, "external_ids", k);
    return [cmd];
}

export const planDelete = (name: string): Argv[] => [vsctl("--if-exists", "del-br", name)];

/** Adopts an unmanaged bridge: converged and marked ours and adopted, its own external_ids kept. */
export function planAdopt(cur: BridgeRow, b: OvsBridgeSpec, datapathType: string): Argv[] {
    return planConverge({ ...cur, externalIds: { ...cur.externalIds, [ADOPTED_KEY]: "true" } }, b, datapathType);
}

/** What destroy does to an adopted bridge: only dvrlab's marks go; the bridge, its ports and flows stay. */
export const planRelease = (name: string): Argv[] => [
    vsctl("--if-exists", "remove", "Bridge", name, "external_ids", OWNER_KEY, "--", "--if-exists", "remove", "Bridge", name, "external_ids", ADOPTED_KEY),
];

export function toInputs(cur: BridgeRow, olds: OvsBridgeSpec): OvsBridgeSpec {
    const { [OWNER_KEY]: own, [ADOPTED_KEY]: _adopted, ...ext } = cur.externalIds;
    return {
        ...olds,
        owner: own ?? "",
        datapathType: cur.datapathType as any,
        failMode: (cur.failMode ?? "standalone") as any,
        protocols: cur.protocols as any,
        externalIds: ext,
    };
}

/** What makes an existing bridge different from the wanted one (for adoption). */
export function conflicts(cur: BridgeRow, b: OvsBridgeSpec, datapathType: string): string[] {
    const out: string[] = [];
    if (cur.datapathType !== datapathType) out.push(`datapathType ${cur.datapathType} (want ${datapathType})`);
    if ((cur.failMode ?? "standalone") !== b.failMode) out.push(`failMode ${cur.failMode ?? "standalone"} (want ${b.failMode})`);
    return out;
}
