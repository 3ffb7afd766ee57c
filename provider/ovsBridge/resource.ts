import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface OvsBridgeResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    name: pulumi.Input<string>;
    datapathType?: pulumi.Input<"netdev" | "system">;
    failMode?: pulumi.Input<"secure" | "standalone">;
    protocols?: pulumi.Input<pulumi.Input<string>[]>;
    externalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** An Open vSwitch bridge (the seed's br-int / br-tun), marked with external_ids:dvrlab-owner. */
export class OvsBridge extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly datapathType: pulumi.Output<string>;
    declare readonly failMode: pulumi.Output<string>;

    constructor(name: string, args: OvsBridgeResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("OvsBridge", name, { owner: stackOwner(), datapathType: undefined, ...args }, opts);
    }
}
