import { z } from "zod";
import { ipv4, mac, vlan, vni } from "../core/schema";

// Intent arguments are checked where the intent is called, so a wrong VLAN or port fails in the
// stack program with the argument named, before any flow text exists.
export const ofport = z.number().int().min(1).max(0xfeff);

export function parseArgs<S extends z.ZodObject<any>>(intent: string, schema: S, args: unknown): z.output<S> {
    const r = schema.safeParse(args);
    if (!r.success) {
        throw new Error(`${intent}: ${r.error.issues.map((i) => `${i.path.join(".") || "(arguments)"}: ${i.message}`).join("; ")}`);
    }
    return r.data;
}

export { ipv4, mac, vlan, vni };

/** `set_tunnel`/`tun_id` take the VNI in hex, as Neutron and the seed write it. */
export const hex = (n: number): string => `0x${n.toString(16)}`;
