// br-tun flows as named intents (Neutron's br_tun.py), exactly the seed's Case B pipeline. Each
// returns a FlowSpec for a FlowEntry; `caseB` returns the whole pipeline of one host, by name.
import { z } from "zod";
import type { FlowSpec } from "../flowEntry/resource";
import { hex, ipv4, mac, ofport, parseArgs, vlan, vni } from "./args";
import { brTunTables as T, OFP_DEFAULT_PRIORITY } from "./tables";

const resubmit = (table: number) => `resubmit(,${table})`;

/** The learn action's cookie in the seed (the random cookie of the Neutron agent it copied). */
export const SEED_LEARN_COOKIE = "0xb8a7772eecbcd5b8";

/** Table 0: packets from br-int (the patch port) start DVR processing. Seed: `table=0,priority=1,in_port=1,actions=resubmit(,1)`. */
export function patchFromInt(a: { patchPort: number }): FlowSpec {
    const { patchPort } = parseArgs("brTun.patchFromInt", z.object({ patchPort: ofport }), a);
    return { table: T.LOCAL_SWITCHING, priority: 1, match: `in_port=${patchPort}`, actions: resubmit(T.DVR_PROCESS) };
}

/** Table 1 default: nothing for DVR to rewrite, on to classification. Seed: `table=1,priority=0,actions=resubmit(,2)`. */
export function dvrProcessDefault(): FlowSpec {
    return { table: T.DVR_PROCESS, priority: 0, actions: resubmit(T.PATCH_LV_TO_TUN) };
}

const UNICAST = "00:00:00:00:00:00/01:00:00:00:00:00";
const MULTICAST = "01:00:00:00:00:00/01:00:00:00:00:00";

/** Table 2: unicast (group bit clear) goes to UCAST_TO_TUN. */
export function unicastClassify(): FlowSpec {
    return { table: T.PATCH_LV_TO_TUN, priority: 0, match: `dl_dst=${UNICAST}`, actions: resubmit(T.UCAST_TO_TUN) };
}

/** Table 2: broadcast and multicast (group bit set) go to FLOOD_TO_TUN. */
export function floodClassify(): FlowSpec {
    return { table: T.PATCH_LV_TO_TUN, priority: 0, match: `dl_dst=${MULTICAST}`, actions: resubmit(T.FLOOD_TO_TUN) };
}

/**
 * Table 22: a local VLAN's floods leave untagged, with the network's VNI, on every tunnel port.
 * Seed: `table=22,dl_vlan=1,actions=strip_vlan,set_tunnel:0x813,output:2,output:3` — no priority,
 * so OpenFlow's default 32768 (Neutron writes 1; within table 22 only the VLAN matters).
 */
export function floodToTun(a: { vlan: number; vni: number; ports: number[] }): FlowSpec {
    const p = parseArgs("brTun.floodToTun", z.object({ vlan, vni, ports: z.array(ofport).min(1, "at least one tunnel port") }), a);
    return {
        table: T.FLOOD_TO_TUN,
        priority: OFP_DEFAULT_PRIORITY,
        match: `dl_vlan=${p.vlan}`,
        actions: ["strip_vlan", `set_tunnel:${hex(p.vni)}`, ...p.ports.map((o) => `output:${o}`)].join(","),
    };
}

/** Table 20 (Neutron's install_unicast_to_tun, l2population): a known MAC behind one tunnel port. */
export function unicastToTun(a: { vlan: number; vni: number; port: number; mac: string }): FlowSpec {
    const p = parseArgs("brTun.unicastToTun", z.object({ vlan, vni, port: ofport, mac }), a);
    return {
        table: T.UCAST_TO_TUN,
        priority: 2,
        match: `dl_vlan=${p.vlan},dl_dst=${p.mac}`,
        actions: `strip_vlan,set_tunnel:${hex(p.vni)},output:${p.port}`,
    };
}

/**
 * Table 20 default (Neutron's, missing from the seed): unicast to a MAC nobody learnt yet — or whose
 * learnt flow expired (hard_timeout 300) or names an old VLAN — is flooded, not dropped.
 */
export function unicastToTunDefault(): FlowSpec {
    return { table: T.UCAST_TO_TUN, priority: 0, actions: resubmit(T.FLOOD_TO_TUN) };
}

/** Table 0: packets from a tunnel port go to VXLAN_TUN_TO_LV. Seed: `table=0,priority=1,in_port=3,actions=resubmit(,4)`. */
export function fromTun(a: { tunPort: number }): FlowSpec {
    const { tunPort } = parseArgs("brTun.fromTun", z.object({ tunPort: ofport }), a);
    return { table: T.LOCAL_SWITCHING, priority: 1, match: `in_port=${tunPort}`, actions: resubmit(T.VXLAN_TUN_TO_LV) };
}

/** Table 4: a VNI becomes its local VLAN, then DVR_NOT_LEARN. Seed: `table=4,priority=1,tun_id=0x813,actions=mod_vlan_vid:1,resubmit(,9)`. */
export function tunToLv(a: { vni: number; vlan: number }): FlowSpec {
    const p = parseArgs("brTun.tunToLv", z.object({ vni, vlan }), a);
    return { table: T.VXLAN_TUN_TO_LV, priority: 1, match: `tun_id=${hex(p.vni)}`, actions: `mod_vlan_vid:${p.vlan},${resubmit(T.DVR_NOT_LEARN)}` };
}

/** Table 9 default: nothing to exclude from learning. Seed: `table=9,priority=0,actions=resubmit(,10)`. */
export function dvrNotLearnDefault(): FlowSpec {
    return { table: T.DVR_NOT_LEARN, priority: 0, actions: resubmit(T.LEARN_FROM_TUN) };
}

/**
 * Table 10: learn "source MAC is behind the tunnel port it came in on" into UCAST_TO_TUN, then
 * hand the packet to br-int through the patch port. The seed's action, verbatim:
 * `learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],
 * NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],
 * output:NXM_OF_IN_PORT[]),output:1`. `learnedCookie` is the cookie the learnt flows carry.
 */
export function learnFromTun(a: { patchPort: number; hardTimeout?: number; learnedCookie?: string }): FlowSpec {
    const p = parseArgs(
        "brTun.learnFromTun",
        z.object({
            patchPort: ofport,
            hardTimeout: z.number().int().min(1).max(65535).default(300),
            learnedCookie: z
                .string()
                .regex(/^0x[0-9a-f]{1,16}$/, "a cookie in lower-case hex")
                .default(SEED_LEARN_COOKIE),
        }),
        a,
    );
    const learn = [
        `table=${T.UCAST_TO_TUN}`,
        `hard_timeout=${p.hardTimeout}`,
        "priority=1",
        `cookie=${p.learnedCookie}`,
        "NXM_OF_VLAN_TCI[0..11]",
        "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]",
        "load:0->NXM_OF_VLAN_TCI[]",
        "load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[]",
        "output:NXM_OF_IN_PORT[]",
    ].join(",");
    return { table: T.LEARN_FROM_TUN, priority: 1, actions: `learn(${learn}),output:${p.patchPort}` };
}

/**
 * The seed's whole br-tun pipeline on one host (Case B), both directions: from br-int out to
 * every tunnel, and from every tunnel into the local VLAN. Keys name the flows (use them in
 * resource names).
 */
export function caseB(a: { patchPort: number; tunPorts: number[]; vlan: number; vni: number; learnedCookie?: string }): Record<string, FlowSpec> {
    const flows: Record<string, FlowSpec> = {
        "patch-from-int": patchFromInt({ patchPort: a.patchPort }),
        "dvr-process": dvrProcessDefault(),
        "unicast-classify": unicastClassify(),
        "flood-classify": floodClassify(),
        [`flood-to-tun-${a.vlan}`]: floodToTun({ vlan: a.vlan, vni: a.vni, ports: a.tunPorts }),
    };
    for (const t of a.tunPorts) flows[`from-tun-${t}`] = fromTun({ tunPort: t });
    flows[`tun-to-lv-${hex(a.vni)}`] = tunToLv({ vni: a.vni, vlan: a.vlan });
    flows["dvr-not-learn"] = dvrNotLearnDefault();
    flows["learn-from-tun"] = learnFromTun({ patchPort: a.patchPort, learnedCookie: a.learnedCookie });
    return flows;
}

// ---------------------------------------------------------------------------------------------
// DVR (Neutron's OVSDVRProcessMixin on br-tun and the DVR agent's add_dvr_mac_tun), in the
// ovs-ofctl form of the agent that wrote them with resubmit: every host has a qr- port with the
// same gateway IP and MAC, so what concerns the gateway never leaves a host, and a routed frame
// leaves with this host's DVR MAC as its source.

/**
 * Table 1, priority 3 (install_dvr_process_ipv4): ARP for the gateway IP from this host's VMs is
 * answered by the local router; it must not reach other hosts' routers. Newer Neutron installs the
 * same match in FLOOD_TO_TUN; table 1 catches unicast ARP too.
 */
export function dvrProcessArpDrop(a: { vlan: number; gatewayIp: string }): FlowSpec {
    const p = parseArgs("brTun.dvrProcessArpDrop", z.object({ vlan, gatewayIp: ipv4 }), a);
    return { table: T.DVR_PROCESS, priority: 3, match: `arp,dl_vlan=${p.vlan},arp_tpa=${p.gatewayIp}`, actions: "drop" };
}

/** Table 1, priority 2 (install_dvr_process, in-match): frames to the gateway MAC are for the local router only. */
export function dvrProcessGatewayMacDrop(a: { vlan: number; gatewayMac: string }): FlowSpec {
    const p = parseArgs("brTun.dvrProcessGatewayMacDrop", z.object({ vlan, gatewayMac: mac }), a);
    return { table: T.DVR_PROCESS, priority: 2, match: `dl_vlan=${p.vlan},dl_dst=${p.gatewayMac}`, actions: "drop" };
}

/**
 * Table 1, priority 1 (install_dvr_process, out-match): a frame the local router sent (source =
 * gateway MAC) leaves with this host's DVR MAC, so other hosts neither see the shared MAC move nor
 * learn it, then on to PATCH_LV_TO_TUN.
 */
export function dvrProcessSrcRewrite(a: { vlan: number; gatewayMac: string; dvrMac: string }): FlowSpec {
    const p = parseArgs("brTun.dvrProcessSrcRewrite", z.object({ vlan, gatewayMac: mac, dvrMac: mac }), a);
    return {
        table: T.DVR_PROCESS,
        priority: 1,
        match: `dl_vlan=${p.vlan},dl_src=${p.gatewayMac}`,
        actions: `mod_dl_src:${p.dvrMac},${resubmit(T.PATCH_LV_TO_TUN)}`,
    };
}

/** The three DVR_PROCESS flows of one router interface (one subnet) on one host, by name. */
export function dvrProcess(a: { vlan: number; gatewayIp: string; gatewayMac: string; dvrMac: string }): Record<string, FlowSpec> {
    return {
        [`dvr-process-arp-drop-${a.vlan}`]: dvrProcessArpDrop(a),
        [`dvr-process-gw-mac-drop-${a.vlan}`]: dvrProcessGatewayMacDrop(a),
        [`dvr-process-src-rewrite-${a.vlan}`]: dvrProcessSrcRewrite(a),
    };
}

/**
 * Table 9, priority 1 (add_dvr_mac_tun): frames from another host's DVR MAC go straight to br-int,
 * not through LEARN_FROM_TUN — every routed frame of that host carries this one source MAC, from
 * any of its VMs, so learning it would point it at one tunnel and one VLAN at a time.
 */
export function dvrNotLearn(a: { dvrMac: string; patchPort: number }): FlowSpec {
    const p = parseArgs("brTun.dvrNotLearn", z.object({ dvrMac: mac, patchPort: ofport }), a);
    return { table: T.DVR_NOT_LEARN, priority: 1, match: `dl_src=${p.dvrMac}`, actions: `output:${p.patchPort}` };
}

/**
 * Table 9, priority 2: a frame from a tunnel with a gateway MAC as its source is a leak — every
 * host has its own qr- port with that MAC, and DVR_PROCESS on the sender rewrites it. It leaks
 * while a sender's ports and flows disagree (a VLAN change: the qr- port retagged before its
 * rewrite flow for the new VLAN exists); br-int would then learn the gateway MAC on patch-tun and
 * send this host's VMs' routed traffic into DVR_PROCESS's drop until the entry ages out (300 s).
 */
export function dvrGatewayMacFromTunDrop(a: { gatewayMac: string }): FlowSpec {
    const p = parseArgs("brTun.dvrGatewayMacFromTunDrop", z.object({ gatewayMac: mac }), a);
    return { table: T.DVR_NOT_LEARN, priority: 2, match: `dl_src=${p.gatewayMac}`, actions: "drop" };
}

/**
 * br-tun's own pipeline on a host, before any tunnel or network (Neutron's setup_default_table and
 * the DVR agent's defaults), by name: from br-int into DVR_PROCESS and classification, unicast to
 * an unknown MAC flooded, learning from tunnels. Tunnels (fromTun, floodToTun) and networks
 * (tunToLv) add the rest. The one copy the stack, the bench and tests use.
 */
export function defaultFlows(a: { patchPort: number }): Record<string, FlowSpec> {
    return {
        "patch-from-int": patchFromInt(a),
        "dvr-process": dvrProcessDefault(),
        "unicast-classify": unicastClassify(),
        "flood-classify": floodClassify(),
        "unicast-default": unicastToTunDefault(),
        "dvr-not-learn": dvrNotLearnDefault(),
        "learn-from-tun": learnFromTun(a),
    };
}
