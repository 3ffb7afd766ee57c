import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface StaticNeighborsResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** The namespace holding the device (e.g. a RouterNamespace's name); unset = the host's own. */
    namespace?: pulumi.Input<string>;
    /** e.g. a RouterPort's name. */
    device: pulumi.Input<string>;
    /** Permanent entries; order does not matter, an address appears once. */
    entries: pulumi.Input<pulumi.Input<{ ip: pulumi.Input<string>; mac: pulumi.Input<string> }>[]>;
}

/**
 * Permanent neighbor entries on one device (Neutron's DVR router: one per VM of the subnet, so the
 * router never ARPs across tunnels). Update adds and removes exactly the changed entries; delete
 * removes only entries still as we set them.
 */
export class StaticNeighbors extends DvrlabResource {
    declare readonly entries: pulumi.Output<{ ip: string; mac: string }[]>;

    constructor(name: string, args: StaticNeighborsResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("StaticNeighbors", name, { owner: stackOwner(), ...args }, opts);
    }
}
