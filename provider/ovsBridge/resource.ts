import { ArgsOf, resourceClass } from "../core/resource";
import { ovsBridgeOutputs, ovsBridgeSchema } from "./schema";

/** OvsBridge's arguments: the schema's fields (provider/ovsBridge/schema.ts), each a pulumi Input. */
export type OvsBridgeResourceArgs = ArgsOf<typeof ovsBridgeSchema>;

/** An Open vSwitch bridge (the seed's br-int / br-tun), marked with external_ids:dvrlab-owner. */
export class OvsBridge extends resourceClass("OvsBridge", ovsBridgeSchema, ovsBridgeOutputs) {}
