import { Argv } from "../ssh/quote";
import { VethPairSpec } from "./schema";

export interface EndState {
    isVeth: boolean;
    name: string;
    /** The peer's name (iproute2 prints it as `link` when both ends share a namespace). */
    peerName?: string;
    promisc: boolean;
    up: boolean;
    mtu: number;
    master?: string;
    alias?: string;
    txChecksum?: boolean;
}

/** Both ends' links, and their tx-checksumming state, in one round trip. */
export const showPair = (a: string, b: string): Argv => [
    "sh",
    "-c",
    'for d in "$1" "$2"; do ip -d -j link show dev "$d" 2>/dev/null || echo null; ' +
        'ethtool -k "$d" 2>/dev/null | sed -n "s/^tx-checksumming: \\([a-z]*\\).*/\\1/p"; echo; done',
    "sh",
    a,
    b,
];

function parseEnd(linkJson: string, tx: string): EndState | undefined {
    const arr = JSON.parse(linkJson);
    const l = Array.isArray(arr) ? arr[0] : undefined;
    if (!l) return undefined;
    return {
        isVeth: l.linkinfo?.info_kind === "veth",
        name: l.ifname,
        peerName: l.link,
        // The PROMISC flag (set by the user, or by OVS's userspace datapath on a port it reads);
        // `promiscuity` also counts bridge/OVS membership.
        promisc: (l.flags ?? []).includes("PROMISC"),
        up: (l.flags ?? []).includes("UP"),
        mtu: l.mtu,
        master: l.master,
        alias: l.ifalias,
        txChecksum: tx === "on" ? true : tx === "off" ? false : undefined,
    };
}

/** Parses showPair output: per end a JSON line (or "null") then the tx-checksumming word line. */
export function parsePair(out: string): [EndState | undefined, EndState | undefined] {
    const lines = out.split("\n");
    const ends: (EndState | undefined)[] = [];
    let i = 0;
    for (let k = 0; k < 2; k++) {
        const json = lines[i++] ?? "null";
        // ethtool prints nothing for a missing device; the echo always ends the record.
        const tx = lines[i] !== undefined && lines[i] !== "" ? lines[i++] : "";
        i++;
        ends.push(json === "null" ? undefined : parseEnd(json, tx.trim()));
    }
    return [ends[0], ends[1]];
}

export function planCreate(v: VethPairSpec, txChecksum: boolean): Argv[] {
    const cmds: Argv[] = [
        [
            "ip",
            "link",
            "add",
            "name",
            v.name,
            ...(v.mtu ? ["mtu", String(v.mtu)] : []),
            "type",
            "veth",
            "peer",
            "name",
            v.peer,
            ...(v.mtu ? ["mtu", String(v.mtu)] : []),
        ],
    ];
    for (const [dev, e] of [
        [v.name, v.nameEnd],
        [v.peer, v.peerEnd],
    ] as const) {
        cmds.push(["ip", "link", "set", "dev", dev, "alias", v.owner]);
        if (e.promisc) cmds.push(["ip", "link", "set", "dev", dev, "promisc", "on"]);
        if (e.master) cmds.push(["ip", "link", "set", "dev", dev, "master", e.master]);
        cmds.push(["ethtool", "-K", dev, "tx", txChecksum ? "on" : "off"]);
    }
    if (v.up) cmds.push(["ip", "link", "set", "dev", v.name, "up"], ["ip", "link", "set", "dev", v.peer, "up"]);
    return cmds;
}

export function planConverge(cur: [EndState, EndState], v: VethPairSpec, txChecksum: boolean): Argv[] {
    const cmds: Argv[] = [];
    const ends = [
        [v.name, v.nameEnd, cur[0]],
        [v.peer, v.peerEnd, cur[1]],
    ] as const;
    for (const [dev, e, c] of ends) {
        if (c.alias !== v.owner) cmds.push(["ip", "link", "set", "dev", dev, "alias", v.owner]);
        if (v.mtu !== undefined && c.mtu !== v.mtu) cmds.push(["ip", "link", "set", "dev", dev, "mtu", String(v.mtu)]);
        if (e.promisc !== undefined && c.promisc !== e.promisc) cmds.push(["ip", "link", "set", "dev", dev, "promisc", e.promisc ? "on" : "off"]);
        if (masterOf(c, e) !== e.master)
            cmds.push(e.master ? ["ip", "link", "set", "dev", dev, "master", e.master] : ["ip", "link", "set", "dev", dev, "nomaster"]);
        if (c.txChecksum !== txChecksum) cmds.push(["ethtool", "-K", dev, "tx", txChecksum ? "on" : "off"]);
        if (c.up !== v.up) cmds.push(["ip", "link", "set", "dev", dev, v.up ? "up" : "down"]);
    }
    return cmds;
}

export const planDelete = (name: string): Argv[] => [["ip", "link", "del", "dev", name]];

/** The kernel datapath enslaves an OVS port to this device: OVS membership, not a bridge of ours. */
export const OVS_MASTER = "ovs-system";

type EndSpec = VethPairSpec["nameEnd"];

/** An end's master as far as we manage it: with none wanted, OVS's own (kernel datapath) is not ours to report or remove. */
function masterOf(c: EndState, e: EndSpec): string | undefined {
    return !e.master && c.master === OVS_MASTER ? undefined : c.master;
}

/** An end in input form: promisc only where the user manages it (set it), master as masterOf. */
function endInputs(c: EndState, e: EndSpec): EndSpec {
    const r: EndSpec = {};
    if (e.promisc !== undefined) r.promisc = c.promisc;
    const m = masterOf(c, e);
    if (m) r.master = m;
    return r;
}

export function toInputs(cur: [EndState, EndState], olds: VethPairSpec): VethPairSpec {
    const [a, b] = cur;
    const r: VethPairSpec = {
        ...olds,
        owner: a.alias ?? "",
        up: a.up && b.up,
        nameEnd: endInputs(a, olds.nameEnd ?? {}),
        peerEnd: endInputs(b, olds.peerEnd ?? {}),
    };
    if (olds.mtu !== undefined) r.mtu = a.mtu;
    // Both ends must agree; if they don't, report the end that differs from what was set.
    const want = olds.txChecksum;
    const txs = [a.txChecksum, b.txChecksum].filter((x): x is boolean => x !== undefined);
    if (txs.length) r.txChecksum = txs.find((x) => x !== want) ?? txs[0];
    return r;
}
