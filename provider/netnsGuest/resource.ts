import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface NetnsGuestResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** The namespace name. */
    name: pulumi.Input<string>;
    /** The host end of the guest's veth (the VM's tap). */
    tap: pulumi.Input<string>;
    /** A Linux bridge for the tap (the VM's qbr). */
    bridge?: pulumi.Input<string>;
    guestIf?: pulumi.Input<string>;
    mac: pulumi.Input<string>;
    /** Address with prefix, e.g. 192.168.10.168/24. */
    address: pulumi.Input<string>;
    mtu?: pulumi.Input<number>;
}

/**
 * A stand-in VM without boot time: a network namespace whose veth's host end is the tap in the
 * VM's qbr, MAC and address set statically (benchmarks and network tests).
 */
export class NetnsGuest extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly tap: pulumi.Output<string>;

    constructor(name: string, args: NetnsGuestResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("NetnsGuest", name, { owner: stackOwner(), ...args }, opts);
    }
}
