import { Argv } from "../ssh/quote";
import { NS_PORT_SHOW, NsPortState, parseNsPort, planDeleteInternalPort, sections } from "../netns/planner";
import { RouterPortSpec } from "./schema";

export interface RouterPortState extends NsPortState {
    /** The router's namespace exists. */
    namespace: boolean;
}

/** The namespace, the OVS port and the device (in the namespace or still on the host) in one round trip. */
export const showRouterPort = (p: Pick<RouterPortSpec, "namespace" | "name">): Argv => [
    "sh",
    "-c",
    ["ns=$1; port=$2", 'echo @@ns; if [ -e "/run/netns/$ns" ]; then echo yes; else echo no; fi', ...NS_PORT_SHOW].join("\n"),
    "sh",
    p.namespace,
    p.name,
];

export function parseRouterPort(out: string): RouterPortState {
    const s = sections(out);
    return { ...parseNsPort(s), namespace: s.get("ns")?.trim() === "yes" };
}

/** What differs from `p` (for refusing an unmanaged port of that name), empty when identical. */
export function conflicts(st: RouterPortState, p: RouterPortSpec): string[] {
    const out: string[] = [];
    if (st.port && st.port.bridge !== p.bridge) out.push(`on bridge ${st.port.bridge} (want ${p.bridge})`);
    if (st.port && st.port.type !== "internal") out.push(`type ${st.port.type} (want internal)`);
    if (st.port && st.port.tag !== p.tag) out.push(`tag ${st.port.tag ?? "none"} (want ${p.tag})`);
    if (!st.link) out.push(`not in ${p.namespace}`);
    else {
        if (st.link.mac !== p.mac) out.push(`MAC ${st.link.mac} (want ${p.mac})`);
        if (!st.link.addresses.includes(p.address)) out.push(`addresses ${st.link.addresses.join(" ") || "none"} (want ${p.address})`);
    }
    return out;
}

/** Host state in input form: what is not where it should be reads as empty (drift). */
export function toInputs(st: RouterPortState, olds: RouterPortSpec): RouterPortSpec {
    const r: RouterPortSpec = { ...olds, owner: st.port?.owner ?? "" };
    if (st.port) {
        r.bridge = st.port.bridge;
        r.tag = st.port.tag ?? -1; // an untagged (trunk) port: drift, shown as an impossible tag
    }
    r.namespace = st.link ? olds.namespace : "";
    r.mac = st.link?.mac ?? "";
    r.address = st.link?.addresses.find((a) => a === olds.address) ?? st.link?.addresses[0] ?? "";
    if (st.link) r.mtu = st.link.mtu;
    if (st.txChecksum !== undefined) r.txChecksum = st.txChecksum;
    return r;
}

export const planDelete = (bridge: string, name: string): Argv[] => planDeleteInternalPort(bridge, name);
