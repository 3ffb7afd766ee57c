import { Argv } from "../ssh/quote";
import { LinuxBridgeSpec } from "./schema";

/** What `ip -d -j link show` says about a bridge, in input form. */
export interface BridgeState {
    isBridge: boolean;
    stp: boolean;
    forwardDelay: number;
    multicastSnooping: boolean;
    up: boolean;
    nfCallIptables?: boolean;
    mtu: number;
    alias?: string;
}

export const showLink = (name: string): Argv => ["ip", "-d", "-j", "link", "show", "dev", name];

/** Parses `ip -d -j link show dev X` output (one element array). */
export function parseLink(json: string): BridgeState {
    const arr = JSON.parse(json);
    const l = Array.isArray(arr) ? arr[0] : arr;
    if (!l) throw new Error("ip returned no link");
    const info = l.linkinfo ?? {};
    const d = info.info_data ?? {};
    const isBridge = info.info_kind === "bridge";
    return {
        isBridge,
        stp: Number(d.stp_state ?? 0) !== 0,
        // iproute2 prints forward_delay in centiseconds (USER_HZ).
        forwardDelay: Math.round(Number(d.forward_delay ?? 0) / 100),
        multicastSnooping: Number(d.mcast_snooping ?? 1) !== 0,
        up: Array.isArray(l.flags) && l.flags.includes("UP"),
        nfCallIptables: d.nf_call_iptables === undefined ? undefined : Number(d.nf_call_iptables) !== 0,
        mtu: Number(l.mtu),
        alias: l.ifalias,
    };
}

function bridgeAttrs(b: Pick<LinuxBridgeSpec, "stp" | "forwardDelay" | "multicastSnooping" | "nfCallIptables">): string[] {
    const a = ["stp_state", b.stp ? "1" : "0", "forward_delay", String(b.forwardDelay * 100), "mcast_snooping", b.multicastSnooping ? "1" : "0"];
    if (b.nfCallIptables !== undefined) a.push("nf_call_iptables", b.nfCallIptables ? "1" : "0");
    return a;
}

export function planCreate(b: LinuxBridgeSpec): Argv[] {
    const cmds: Argv[] = [
        ["ip", "link", "add", "name", b.name, ...(b.mtu === undefined ? [] : ["mtu", String(b.mtu)]), "type", "bridge", ...bridgeAttrs(b)],
        ["ip", "link", "set", "dev", b.name, "alias", b.owner],
    ];
    if (b.up) cmds.push(["ip", "link", "set", "dev", b.name, "up"]);
    return cmds;
}

/** Brings an existing bridge (adopted or drifted) to the desired settings. */
export function planConverge(cur: BridgeState, b: LinuxBridgeSpec): Argv[] {
    const cmds: Argv[] = [];
    const differs =
        cur.stp !== b.stp ||
        cur.forwardDelay !== b.forwardDelay ||
        cur.multicastSnooping !== b.multicastSnooping ||
        (b.nfCallIptables !== undefined && cur.nfCallIptables !== b.nfCallIptables);
    if (differs) {
        // The kernel applies forward_delay before stp_state and refuses a delay below 2 s while STP
        // is on: when turning STP off, switch it off first.
        if (cur.stp && !b.stp) cmds.push(["ip", "link", "set", "dev", b.name, "type", "bridge", "stp_state", "0"]);
        cmds.push(["ip", "link", "set", "dev", b.name, "type", "bridge", ...bridgeAttrs(b)]);
    }
    if (b.mtu !== undefined && cur.mtu !== b.mtu) cmds.push(["ip", "link", "set", "dev", b.name, "mtu", String(b.mtu)]);
    if (cur.alias !== b.owner) cmds.push(["ip", "link", "set", "dev", b.name, "alias", b.owner]);
    if (cur.up !== b.up) cmds.push(["ip", "link", "set", "dev", b.name, b.up ? "up" : "down"]);
    return cmds;
}

export const planDelete = (name: string): Argv[] => [["ip", "link", "del", "dev", name]];

/** The state in input form, for read/refresh. */
export function toInputs(cur: BridgeState, olds: LinuxBridgeSpec): LinuxBridgeSpec {
    const r: LinuxBridgeSpec = {
        ...olds,
        stp: cur.stp,
        forwardDelay: cur.forwardDelay,
        multicastSnooping: cur.multicastSnooping,
        up: cur.up,
        owner: cur.alias ?? "",
    };
    // Only report what the user manages.
    if (olds.nfCallIptables !== undefined) r.nfCallIptables = cur.nfCallIptables;
    if (olds.mtu !== undefined) r.mtu = cur.mtu;
    return r;
}
