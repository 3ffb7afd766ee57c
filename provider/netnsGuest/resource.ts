import { ArgsOf, resourceClass } from "../core/resource";
import { netnsGuestOutputs, netnsGuestSchema } from "./schema";

/** NetnsGuest's arguments: the schema's fields (provider/netnsGuest/schema.ts), each a pulumi Input. */
export type NetnsGuestResourceArgs = ArgsOf<typeof netnsGuestSchema>;

/**
 * A stand-in VM without boot time: a network namespace whose veth's host end is the tap in the
 * VM's qbr, MAC and address set statically (benchmarks and network tests).
 */
export class NetnsGuest extends resourceClass("NetnsGuest", netnsGuestSchema, netnsGuestOutputs) {}
