import { ArgsOf, resourceClass } from "../core/resource";
import { staticNeighborsOutputs, staticNeighborsSchema } from "./schema";

/** StaticNeighbors's arguments: the schema's fields (provider/staticNeighbors/schema.ts), each a pulumi Input. */
export type StaticNeighborsResourceArgs = ArgsOf<typeof staticNeighborsSchema>;

/**
 * Permanent neighbor entries on one device (Neutron's DVR router: one per VM of the subnet, so the
 * router never ARPs across tunnels). Update adds and removes exactly the changed entries; delete
 * removes only entries still as we set them.
 */
export class StaticNeighbors extends resourceClass("StaticNeighbors", staticNeighborsSchema, staticNeighborsOutputs) {}
