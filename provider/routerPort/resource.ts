import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface RouterPortResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** Default br-int. */
    bridge?: pulumi.Input<string>;
    /** qr-<port id>, at most 15 characters. */
    name: pulumi.Input<string>;
    /** The router's namespace (RouterNamespace.name). */
    namespace: pulumi.Input<string>;
    /** The network's local VLAN on the bridge. */
    tag: pulumi.Input<number>;
    /** The gateway MAC, the same on every host. */
    mac: pulumi.Input<string>;
    /** The gateway address with prefix, e.g. 192.168.10.1/24. */
    address: pulumi.Input<string>;
    /** Default 1450. */
    mtu?: pulumi.Input<number>;
    /** Unset: off on hosts without the kernel datapath, on otherwise. */
    txChecksum?: pulumi.Input<boolean>;
}

/**
 * A distributed router's interface on one host (Neutron's qr- port): an OVS internal port tagged
 * with the network's local VLAN, inside the router's namespace, with the gateway MAC and address.
 */
export class RouterPort extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly namespace: pulumi.Output<string>;
    declare readonly mac: pulumi.Output<string>;
    declare readonly address: pulumi.Output<string>;
    declare readonly ofport: pulumi.Output<number>;
    declare readonly txChecksum: pulumi.Output<boolean>;

    constructor(name: string, args: RouterPortResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("RouterPort", name, { owner: stackOwner(), ofport: undefined, txChecksum: undefined, ...args }, opts);
    }
}
