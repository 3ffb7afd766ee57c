import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface HostFileResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** Absolute path on the host; parent directories are created. A change replaces. */
    path: pulumi.Input<string>;
    /** Absolute path of the local file (on the machine running pulumi). */
    source: pulumi.Input<string>;
    /** sha256 hex of the content: `fileSha256(source)`. A change re-uploads in place. */
    sha256: pulumi.Input<string>;
    /** Octal permission bits, default "0644". */
    mode?: pulumi.Input<string>;
}

/**
 * A local file put on a host (guest kernel, initrd, base image): streamed over the pooled SSH
 * connection to a temp name, checked against sha256, chmod-ed, renamed into place. An identical
 * file already there is adopted; refresh reports content changed on the host as sha256 drift.
 */
export class HostFile extends DvrlabResource {
    declare readonly path: pulumi.Output<string>;
    declare readonly source: pulumi.Output<string>;
    declare readonly sha256: pulumi.Output<string>;
    declare readonly mode: pulumi.Output<string>;

    constructor(name: string, args: HostFileResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("HostFile", name, { ...args }, opts);
    }
}
