import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface RouterNamespaceResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** The namespace name: Neutron's is qrouter-<router id> (qrouterNamespace(id)); at most 63 characters. */
    name: pulumi.Input<string>;
    /** net.ipv4.ip_forward inside it; default true. */
    ipForward?: pulumi.Input<boolean>;
    /** net.ipv4.conf.all.arp_ignore; default 1 (Neutron's). */
    arpIgnore?: pulumi.Input<number>;
    /** net.ipv4.conf.all.arp_announce; default 2 (Neutron's). */
    arpAnnounce?: pulumi.Input<number>;
}

/**
 * A router's network namespace on one host (Neutron's qrouter-<id>), forwarding on, marked ours in
 * its loopback's ifalias. Delete unplugs our ports still inside and refuses anything else there.
 */
export class RouterNamespace extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly ipForward: pulumi.Output<boolean>;

    constructor(name: string, args: RouterNamespaceResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("RouterNamespace", name, { owner: stackOwner(), ...args }, opts);
    }
}
