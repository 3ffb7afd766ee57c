import { ArgsOf, resourceClass } from "../core/resource";
import { dhcpServerOutputs, dhcpServerSchema } from "./schema";

/** DhcpServer's arguments: the schema's fields (provider/dhcpServer/schema.ts), each a pulumi Input. */
export type DhcpServerResourceArgs = ArgsOf<typeof dhcpServerSchema>;

/**
 * The DHCP agent's dnsmasq for one network on one host (Neutron's): namespace qdhcp-<network>, an
 * OVS internal port with the network's local VLAN, static leases from DhcpLease.
 */
export class DhcpServer extends resourceClass("DhcpServer", dhcpServerSchema, dhcpServerOutputs) {}
