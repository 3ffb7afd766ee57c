// One VM's port, as Nova and the OVS agent wire it in the seed: tap → qbr-<id> (Linux bridge, where
// the hybrid firewall's iptables rules see the tap) → qvb-<id>=qvo-<id> (veth) → br-int with the
// network's local VLAN; ARP (table 24) and MAC (table 25) anti-spoofing for the port.
import * as pulumi from "@pulumi/pulumi";
import { brInt } from "../flows";
import { FlowEntry, FlowSpec } from "../flowEntry/resource";
import { LinuxBridge } from "../linuxBridge/resource";
import { OvsPort } from "../ovsPort/resource";
import { SecurityGroup } from "../securityGroup/resource";
import { VethPair } from "../vethPair/resource";
import type { ResolvedHost, ResolvedVm } from "./topology";
import type { DvrHost } from "./dvrHost";

export interface VmPortArgs {
    vm: ResolvedVm;
    host: ResolvedHost;
    dvrHost: DvrHost;
}

export class VmPort extends pulumi.ComponentResource {
    readonly qbr: LinuxBridge;
    readonly qvo: OvsPort;
    readonly securityGroup: SecurityGroup;
    /** br-int's OpenFlow number of qvo (the seed's `ovs-vsctl get Interface qvo-… ofport`). */
    readonly ofport: pulumi.Output<number>;

    constructor(name: string, args: VmPortArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:VmPort", name, {}, opts);
        const { vm } = args;
        const connection = args.host.connection;
        const parent = { parent: this };
        // nfCallIptables: bridged frames must pass iptables, or the security group sees nothing.
        this.qbr = new LinuxBridge(
            `${vm.id}-qbr`,
            { connection, name: vm.qbr, stp: false, forwardDelay: 0, multicastSnooping: false, nfCallIptables: true, mtu: vm.mtu },
            parent,
        );
        const veth = new VethPair(
            `${vm.id}-qvb-qvo`,
            { connection, name: vm.qvb, peer: vm.qvo, mtu: vm.mtu, nameEnd: { promisc: true, master: this.qbr.name } },
            parent,
        );
        this.qvo = new OvsPort(
            `${vm.id}-qvo`,
            { connection, bridge: args.dvrHost.brInt.name, name: veth.peer, tag: vm.vlan, ofportRequest: vm.ofport },
            parent,
        );
        this.ofport = this.qvo.ofport;
        this.securityGroup = new SecurityGroup(
            `${vm.id}-sg`,
            { connection, portId: vm.id, tap: vm.tap, ip: vm.ip, mac: vm.mac, ingress: vm.ingress, egress: vm.egress },
            parent,
        );
        // The requested ofport is known now: these flows never wait for (or change with) the port's other updates.
        const bridge = args.dvrHost.brInt.name;
        const flow = (key: string, spec: FlowSpec) =>
            new FlowEntry(`${vm.id}-${key}`, { connection, bridge, ...spec }, { parent: this, dependsOn: [this.qvo] });
        const ofport = vm.ofport;
        flow("arp-spoof-redirect", brInt.arpSpoofRedirect({ ofport }));
        flow("arp-spoof-allow", brInt.arpSpoofAllowThenMac({ ofport, ip: vm.ip }));
        flow("mac-spoof-redirect", brInt.macSpoofRedirect({ ofport }));
        flow("mac-spoof-allow", brInt.macSpoofAllow({ ofport, mac: vm.mac }));
        this.registerOutputs({ ofport: this.ofport });
    }
}
