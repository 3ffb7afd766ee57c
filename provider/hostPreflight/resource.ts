import { ArgsOf, resourceClass } from "../core/resource";
import { hostPreflightOutputs, hostPreflightSchema } from "./schema";

/** HostPreflight's arguments: the schema's fields (provider/hostPreflight/schema.ts), each a pulumi Input. */
export type HostPreflightResourceArgs = ArgsOf<typeof hostPreflightSchema>;

/**
 * Checks a host before anything is changed on it (make every other resource on the host depend on
 * it): binaries and versions, root (directly or through sudo), bridge netfilter and physdev, OVS
 * datapaths, the tunnel address and the underlay MTU, UDP 4789, libvirt's domain types. A failure
 * names the host, what is missing and how to fix it. Outputs every finding.
 */
export class HostPreflight extends resourceClass("HostPreflight", hostPreflightSchema, hostPreflightOutputs) {}
