import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface OvsPortResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    bridge: pulumi.Input<string>;
    name: pulumi.Input<string>;
    type?: pulumi.Input<"system" | "internal" | "patch" | "vxlan">;
    tag?: pulumi.Input<number>;
    ofportRequest?: pulumi.Input<number>;
    options?: pulumi.Input<{
        peer?: pulumi.Input<string>;
        remoteIp?: pulumi.Input<string>;
        localIp?: pulumi.Input<string>;
        key?: pulumi.Input<number | "flow">;
        dstPort?: pulumi.Input<number>;
    }>;
    externalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A port on an OVS bridge (qvo, patch-tun/patch-int, vxlan-…); outputs its OpenFlow port number. */
export class OvsPort extends DvrlabResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly bridge: pulumi.Output<string>;
    declare readonly ofport: pulumi.Output<number>;
    declare readonly tag: pulumi.Output<number | undefined>;

    constructor(name: string, args: OvsPortResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("OvsPort", name, { owner: stackOwner(), ofport: undefined, ...args }, opts);
    }
}
