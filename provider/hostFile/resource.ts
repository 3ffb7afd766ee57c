import { ArgsOf, resourceClass } from "../core/resource";
import { hostFileOutputs, hostFileSchema } from "./schema";

/** HostFile's arguments: the schema's fields (provider/hostFile/schema.ts), each a pulumi Input. */
export type HostFileResourceArgs = ArgsOf<typeof hostFileSchema>;

/**
 * A local file put on a host (guest kernel, initrd, base image): streamed over the pooled SSH
 * connection to a temp name, checked against sha256 (`fileSha256(source)`), chmod-ed, renamed into
 * place. An identical file already there is adopted; refresh reports content changed on the host
 * as sha256 drift.
 */
export class HostFile extends resourceClass("HostFile", hostFileSchema, hostFileOutputs) {}
