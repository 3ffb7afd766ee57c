import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface DhcpLeaseResourceArgs {
    /** The DhcpServer's host. */
    connection: pulumi.Input<ConnectionArgs>;
    /** The DhcpServer's `network` output (this also orders the lease after the server). */
    network: pulumi.Input<string>;
    /** The DhcpServer's `address` output (e.g. 192.168.10.2/24): the IP must be in its subnet. */
    serverAddress: pulumi.Input<string>;
    mac: pulumi.Input<string>;
    hostname: pulumi.Input<string>;
    ip: pulumi.Input<string>;
}

/**
 * A static lease (the seed's edit): `MAC,host,IP` in dnsmasq's hosts file, `IP host` in its
 * addn_hosts, then SIGHUP. Edits are locked and atomic on the host.
 */
export class DhcpLease extends DvrlabResource {
    declare readonly mac: pulumi.Output<string>;
    declare readonly hostname: pulumi.Output<string>;
    declare readonly ip: pulumi.Output<string>;
    declare readonly hostsLine: pulumi.Output<string>;
    declare readonly addnHostsLine: pulumi.Output<string>;

    constructor(name: string, args: DhcpLeaseResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super("DhcpLease", name, { hostsLine: undefined, addnHostsLine: undefined, ...args }, opts);
    }
}
