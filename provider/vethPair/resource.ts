import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

interface EndArgs {
    promisc?: pulumi.Input<boolean>;
    master?: pulumi.Input<string>;
}

export interface VethPairResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    name: pulumi.Input<string>;
    peer: pulumi.Input<string>;
    mtu?: pulumi.Input<number>;
    up?: pulumi.Input<boolean>;
    nameEnd?: pulumi.Input<EndArgs>;
    peerEnd?: pulumi.Input<EndArgs>;
    txChecksum?: pulumi.Input<boolean>;
}

/** A veth pair (the seed's qvb-<id> = qvo-<id>), one end optionally in a Linux bridge. */
export class VethPair extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly peer: pulumi.Output<string>;
    declare readonly txChecksum: pulumi.Output<boolean>;

    constructor(name: string, args: VethPairResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("VethPair", name, { owner: stackOwner(), txChecksum: undefined, ...args }, opts);
    }
}
