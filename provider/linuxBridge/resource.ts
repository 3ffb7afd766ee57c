import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface LinuxBridgeResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    name: pulumi.Input<string>;
    stp?: pulumi.Input<boolean>;
    forwardDelay?: pulumi.Input<number>;
    multicastSnooping?: pulumi.Input<boolean>;
    up?: pulumi.Input<boolean>;
    nfCallIptables?: pulumi.Input<boolean>;
}

/** A Linux bridge (the seed's `qbr-<vm>`): brctl addbr + setfd + stp + multicast_snooping. */
export class LinuxBridge extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly stp: pulumi.Output<boolean>;
    declare readonly forwardDelay: pulumi.Output<number>;
    declare readonly multicastSnooping: pulumi.Output<boolean>;
    declare readonly up: pulumi.Output<boolean>;

    constructor(name: string, args: LinuxBridgeResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("LinuxBridge", name, { owner: stackOwner(), ...args }, opts);
    }
}
