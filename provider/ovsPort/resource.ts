import { ArgsOf, resourceClass } from "../core/resource";
import { ovsPortOutputs, ovsPortSchema } from "./schema";

/** OvsPort's arguments: the schema's fields (provider/ovsPort/schema.ts), each a pulumi Input. */
export type OvsPortResourceArgs = ArgsOf<typeof ovsPortSchema>;

/** A port on an OVS bridge (qvo, patch-tun/patch-int, vxlan-…); outputs its OpenFlow port number. */
export class OvsPort extends resourceClass("OvsPort", ovsPortSchema, ovsPortOutputs) {}
