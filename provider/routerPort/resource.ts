import { ArgsOf, resourceClass } from "../core/resource";
import { routerPortOutputs, routerPortSchema } from "./schema";

/** RouterPort's arguments: the schema's fields (provider/routerPort/schema.ts), each a pulumi Input. */
export type RouterPortResourceArgs = ArgsOf<typeof routerPortSchema>;

/**
 * A distributed router's interface on one host (Neutron's qr- port): an OVS internal port tagged
 * with the network's local VLAN, inside the router's namespace, with the gateway MAC and address.
 */
export class RouterPort extends resourceClass("RouterPort", routerPortSchema, routerPortOutputs) {}
