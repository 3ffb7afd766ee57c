import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";

export interface DhcpServerResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    /** The network's id: qdhcp-<network>, /var/lib/dvrlab/dhcp/<network>/. */
    network: pulumi.Input<string>;
    port?: pulumi.Input<string>;
    bridge?: pulumi.Input<string>;
    tag: pulumi.Input<number>;
    /** Server address with prefix, e.g. 192.168.10.2/24. */
    address: pulumi.Input<string>;
    mtu?: pulumi.Input<number>;
    leaseTime?: pulumi.Input<number>;
    router?: pulumi.Input<string>;
    dnsServers?: pulumi.Input<pulumi.Input<string>[]>;
    domain?: pulumi.Input<string>;
    running?: pulumi.Input<boolean>;
    txChecksum?: pulumi.Input<boolean>;
}

/**
 * The DHCP agent's dnsmasq for one network on one host (Neutron's): namespace qdhcp-<network>, an
 * OVS internal port with the network's local VLAN, static leases from DhcpLease.
 */
export class DhcpServer extends DvrlabResource {
    declare readonly network: pulumi.Output<string>;
    declare readonly address: pulumi.Output<string>;
    declare readonly namespace: pulumi.Output<string>;
    declare readonly portName: pulumi.Output<string>;
    declare readonly hostsFile: pulumi.Output<string>;
    declare readonly addnHostsFile: pulumi.Output<string>;
    declare readonly leaseFile: pulumi.Output<string>;
    declare readonly logFile: pulumi.Output<string>;
    declare readonly pidFile: pulumi.Output<string>;
    declare readonly pid: pulumi.Output<number>;
    declare readonly txChecksum: pulumi.Output<boolean>;

    constructor(name: string, args: DhcpServerResourceArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            "DhcpServer",
            name,
            {
                owner: stackOwner(),
                namespace: undefined,
                portName: undefined,
                hostsFile: undefined,
                addnHostsFile: undefined,
                leaseFile: undefined,
                logFile: undefined,
                pidFile: undefined,
                pid: undefined,
                txChecksum: undefined,
                ...args,
            },
            opts,
        );
    }
}
