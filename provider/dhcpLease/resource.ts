import { ArgsOf, resourceClass } from "../core/resource";
import { dhcpLeaseOutputs, dhcpLeaseSchema } from "./schema";

/** DhcpLease's arguments: the schema's fields (provider/dhcpLease/schema.ts), each a pulumi Input. */
export type DhcpLeaseResourceArgs = ArgsOf<typeof dhcpLeaseSchema>;

/**
 * A static lease (the seed's edit): `MAC,host,IP` in dnsmasq's hosts file, `IP host` in its
 * addn_hosts, then SIGHUP. Edits are locked and atomic on the host. Args: the DhcpServer's host,
 * its `network` output (which also orders the lease after the server) and `address` output (the
 * IP must be in its subnet).
 */
export class DhcpLease extends resourceClass("DhcpLease", dhcpLeaseSchema, dhcpLeaseOutputs) {}
