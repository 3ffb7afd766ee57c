// The guest's kernel, initrd and base disk on one host (each host has its own disk: the seed
// copies cirros.img to the compute node by hand). Read-only files under a versioned directory,
// so a new image version is new files and domains move over by replacement.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { fileSha256 } from "../hostFile/local";
import { HostFile } from "../hostFile/resource";
import type { GuestManifest } from "../guest/manifest";
import type { ResolvedHost } from "./topology";

export interface GuestImageArgs {
    host: ResolvedHost;
    manifest: GuestManifest;
}

export class GuestImage extends pulumi.ComponentResource {
    readonly kernel: pulumi.Output<string>;
    readonly initrd: pulumi.Output<string>;
    readonly base: pulumi.Output<string>;

    constructor(name: string, args: GuestImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:GuestImage", name, {}, opts);
        const m = args.manifest;
        const dir = `/var/lib/dvrlab/images/${m.version}`;
        const put = (key: string, source: string) =>
            new HostFile(
                `${args.host.name}-image-${key}`,
                { connection: args.host.connection, path: `${dir}/${path.basename(source)}`, source, sha256: fileSha256(source), mode: "0444" },
                { parent: this },
            ).path;
        this.kernel = put("kernel", m.kernel);
        this.initrd = put("initrd", m.initrd);
        this.base = put("base", m.baseImage);
        this.registerOutputs({ kernel: this.kernel, initrd: this.initrd, base: this.base });
    }
}
