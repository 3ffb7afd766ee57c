import { ArgsOf, resourceClass } from "../core/resource";
import { securityGroupOutputs, securityGroupSchema } from "./schema";

/** SecurityGroup's arguments: the schema's fields (provider/securityGroup/schema.ts), each a pulumi Input. */
export type SecurityGroupResourceArgs = ArgsOf<typeof securityGroupSchema>;

/** Neutron's hybrid firewall for one VM port: iptables physdev rules on the host, default-deny ingress, egress only from its own IP/MAC. */
export class SecurityGroup extends resourceClass("SecurityGroup", securityGroupSchema, securityGroupOutputs) {}
