// br-int flows as named intents (Neutron's br_int.py), as the seed writes them.
import { z } from "zod";
import type { FlowSpec } from "../flowEntry/resource";
import { ipv4, ofport, parseArgs } from "./args";
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
