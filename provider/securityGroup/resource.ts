import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface SecurityGroupRuleArgs {
    protocol: pulumi.Input<"icmp" | "tcp" | "udp" | "any">;
    port?: pulumi.Input<number | string>;
    remoteCidr?: pulumi.Input<string>;
}

export interface SecurityGroupResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    portId: pulumi.Input<string>;
    tap: pulumi.Input<string>;
    ingress?: pulumi.Input<pulumi.Input<SecurityGroupRuleArgs>[]>;
}

/** Neutron's hybrid firewall for one VM port: iptables physdev rules on the host, default-deny ingress. */
export class SecurityGroup extends DvrlabResource {
    declare readonly ingress: pulumi.Output<SecurityGroupRuleArgs[]>;
    declare readonly enforcement: pulumi.Output<string>;

    constructor(name: string, args: SecurityGroupResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("SecurityGroup", name, { owner: stackOwner(), ...args }, opts);
    }
}
