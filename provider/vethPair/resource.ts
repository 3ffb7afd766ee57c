import { ArgsOf, resourceClass } from "../core/resource";
import { vethPairOutputs, vethPairSchema } from "./schema";

/** VethPair's arguments: the schema's fields (provider/vethPair/schema.ts), each a pulumi Input. */
export type VethPairResourceArgs = ArgsOf<typeof vethPairSchema>;

/** A veth pair (the seed's qvb-<id> = qvo-<id>), one end optionally in a Linux bridge. */
export class VethPair extends resourceClass("VethPair", vethPairSchema, vethPairOutputs) {}
