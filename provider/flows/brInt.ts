// br-int flows as named intents (Neutron's br_int.py), as the seed writes them.
import { z } from "zod";
import type { FlowSpec } from "../flowEntry/resource";
import { ipv4, mac, ofport, parseArgs, vlan } from "./args";
import { brIntTables as T } from "./tables";

/** Table 0: plain learning switch. Seed (Case B, step 1): `priority=1,actions=NORMAL`. */
export function normal(): FlowSpec {
    return { table: T.LOCAL_SWITCHING, priority: 1, actions: "NORMAL" };
}

/** Table 0: ARP from a VM's port goes to the anti-spoofing table. Seed: `priority=10,arp,in_port=43,actions=resubmit(,24)`. */
export function arpSpoofRedirect(a: { ofport: number }): FlowSpec {
    const p = parseArgs("brInt.arpSpoofRedirect", z.object({ ofport }), a);
    return { table: T.LOCAL_SWITCHING, priority: 10, match: `arp,in_port=${p.ofport}`, actions: `resubmit(,${T.ARP_SPOOF_TABLE})` };
}

/** Table 24: that port may send ARP only for its own address. Seed: `table=24,priority=2,arp,in_port=43,arp_spa=192.168.10.222,actions=NORMAL`. */
export function arpSpoofAllow(a: { ofport: number; ip: string }): FlowSpec {
    const p = parseArgs("brInt.arpSpoofAllow", z.object({ ofport, ip: ipv4 }), a);
    return { table: T.ARP_SPOOF_TABLE, priority: 2, match: `arp,in_port=${p.ofport},arp_spa=${p.ip}`, actions: "NORMAL" };
}

/** Both ARP anti-spoofing flows of one port (the seed's pair), by name. */
export function arpSpoofCheck(a: { ofport: number; ip: string }): { redirect: FlowSpec; allow: FlowSpec } {
    return { redirect: arpSpoofRedirect({ ofport: a.ofport }), allow: arpSpoofAllow(a) };
}

// Port security as Neutron's native br_int.py writes it: ARP from a port must carry one of its IPs
// (table 24), every frame from it one of its MACs (table 25), then TRANSIENT (60) switches NORMAL.

/** Table 0: every frame from a VM's port is MAC-checked. Neutron: `priority=9,in_port=P,actions=goto_table:25`. */
export function macSpoofRedirect(a: { ofport: number }): FlowSpec {
    const p = parseArgs("brInt.macSpoofRedirect", z.object({ ofport }), a);
    return { table: T.LOCAL_SWITCHING, priority: 9, match: `in_port=${p.ofport}`, actions: `resubmit(,${T.MAC_SPOOF_TABLE})` };
}

/** Table 25: the port's own MAC passes to TRANSIENT. Neutron: `table=25,priority=2,in_port=P,dl_src=MAC,actions=goto_table:60`. */
export function macSpoofAllow(a: { ofport: number; mac: string }): FlowSpec {
    const p = parseArgs("brInt.macSpoofAllow", z.object({ ofport, mac }), a);
    return { table: T.MAC_SPOOF_TABLE, priority: 2, match: `in_port=${p.ofport},dl_src=${p.mac}`, actions: `resubmit(,${T.TRANSIENT_TABLE})` };
}

/** Table 24: the port's own ARP goes on to the MAC check (Neutron's chain; the seed's flow ends in NORMAL instead). */
export function arpSpoofAllowThenMac(a: { ofport: number; ip: string }): FlowSpec {
    return { ...arpSpoofAllow(a), actions: `resubmit(,${T.MAC_SPOOF_TABLE})` };
}

/** Tables 24 and 25 drop what no port's rule allowed; explicit flows, so their counters show the drops. */
export function spoofDrop(a: { table: 24 | 25 }): FlowSpec {
    const p = parseArgs("brInt.spoofDrop", z.object({ table: z.union([z.literal(T.ARP_SPOOF_TABLE), z.literal(T.MAC_SPOOF_TABLE)]) }), a);
    return { table: p.table, priority: 0, actions: "drop" };
}

/** Table 60: what passed port security is switched normally. Neutron: `table=60,priority=3,actions=NORMAL`. */
export function transientNormal(): FlowSpec {
    return { table: T.TRANSIENT_TABLE, priority: 3, actions: "NORMAL" };
}

// ---------------------------------------------------------------------------------------------
// DVR (Neutron's br_int install_dvr_to_src_mac / add_dvr_mac_tun and the DVR agent's defaults), in
// the ovs-ofctl form: a routed frame from another host arrives with that host's DVR MAC as its
// source; it is handed to the destination VM with the local gateway MAC as source instead.

/** Table 0, priority 2 (add_dvr_mac_tun): from br-tun with another host's DVR MAC as source → DVR_TO_SRC_MAC. */
export function dvrFromTun(a: { patchPort: number; dvrMac: string }): FlowSpec {
    const p = parseArgs("brInt.dvrFromTun", z.object({ patchPort: ofport, dvrMac: mac }), a);
    return { table: T.LOCAL_SWITCHING, priority: 2, match: `in_port=${p.patchPort},dl_src=${p.dvrMac}`, actions: `resubmit(,${T.DVR_TO_SRC_MAC})` };
}

/**
 * Table 1, priority 4 (install_dvr_to_src_mac): to a local VM of the local VLAN → untagged, source
 * rewritten to the subnet's gateway MAC (the VM sees its own router), out of the VM's port.
 */
export function dvrToSrcMac(a: { vlan: number; dstMac: string; gatewayMac: string; ofport: number }): FlowSpec {
    const p = parseArgs("brInt.dvrToSrcMac", z.object({ vlan, dstMac: mac, gatewayMac: mac, ofport }), a);
    return {
        table: T.DVR_TO_SRC_MAC,
        priority: 4,
        match: `dl_vlan=${p.vlan},dl_dst=${p.dstMac}`,
        actions: `strip_vlan,mod_dl_src:${p.gatewayMac},output:${p.ofport}`,
    };
}

/** Table 1, priority 1 (setup_dvr_flows_on_integ_br): a routed frame for no local VM is dropped. */
export function dvrToSrcMacDefault(): FlowSpec {
    return { table: T.DVR_TO_SRC_MAC, priority: 1, actions: "drop" };
}

/**
 * br-int's own pipeline, before any port (Neutron's setup_default_table and the DVR agent's
 * defaults), by name: NORMAL switching for what is not a VM port (patch, DHCP, router), the drops
 * that end tables 24/25 (VM ports add their allow rules), TRANSIENT's NORMAL and DVR_TO_SRC_MAC's
 * drop (DistributedRouter adds the local VMs). The one copy the stack, the bench and tests use.
 */
export function defaultFlows(): Record<string, FlowSpec> {
    return {
        normal: normal(),
        "arp-spoof-drop": spoofDrop({ table: T.ARP_SPOOF_TABLE }),
        "mac-spoof-drop": spoofDrop({ table: T.MAC_SPOOF_TABLE }),
        "transient-normal": transientNormal(),
        "dvr-to-src-default": dvrToSrcMacDefault(),
    };
}
