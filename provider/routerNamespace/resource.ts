import { ArgsOf, resourceClass } from "../core/resource";
import { routerNamespaceOutputs, routerNamespaceSchema } from "./schema";

/** RouterNamespace's arguments: the schema's fields (provider/routerNamespace/schema.ts), each a pulumi Input. */
export type RouterNamespaceResourceArgs = ArgsOf<typeof routerNamespaceSchema>;

/**
 * A router's network namespace on one host (Neutron's qrouter-<id>), forwarding on, marked ours in
 * its loopback's ifalias. Delete unplugs our ports still inside and refuses anything else there.
 */
export class RouterNamespace extends resourceClass("RouterNamespace", routerNamespaceSchema, routerNamespaceOutputs) {}
