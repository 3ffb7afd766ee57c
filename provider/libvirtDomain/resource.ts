import { ArgsOf, resourceClass } from "../core/resource";
import { libvirtDomainOutputs, libvirtDomainSchema } from "./schema";

/** LibvirtDomain's arguments: the schema's fields (provider/libvirtDomain/schema.ts), each a pulumi Input. */
export type LibvirtDomainResourceArgs = ArgsOf<typeof libvirtDomainSchema>;

/**
 * A libvirt domain (the seed's cirros VM): its own qcow2 overlay on a base image, taps on Linux
 * bridges, a console log and a command-channel socket. The bridges must exist first: pass their
 * `name` outputs (or `dependsOn`) so Pulumi orders them.
 */
export class LibvirtDomain extends resourceClass("LibvirtDomain", libvirtDomainSchema, libvirtDomainOutputs) {}
