import { ArgsOf, resourceClass } from "../core/resource";
import { linuxBridgeOutputs, linuxBridgeSchema } from "./schema";

/** LinuxBridge's arguments: the schema's fields (provider/linuxBridge/schema.ts), each a pulumi Input. */
export type LinuxBridgeResourceArgs = ArgsOf<typeof linuxBridgeSchema>;

/** A Linux bridge (the seed's `qbr-<vm>`): brctl addbr + setfd + stp + multicast_snooping. */
export class LinuxBridge extends resourceClass("LinuxBridge", linuxBridgeSchema, linuxBridgeOutputs) {}
