// Every resource kind the runtime can serve, by the name the shim stores. Each is loaded on first
// use: a provider process serves one or a few kinds, and transpiling them all costs every pulumi
// command's start (0.5+ s here). Keep the names and module paths in step with the kinds' modules.
import type { KindSpec } from "./core/kind";

type Loader = () => KindSpec<any, any>;

export const kinds: Record<string, Loader> = {
    LinuxBridge: () => require("./linuxBridge/kind").linuxBridgeKind,
    FlowEntry: () => require("./flowEntry/kind").flowEntryKind,
    OvsBridge: () => require("./ovsBridge/kind").ovsBridgeKind,
    OvsPort: () => require("./ovsPort/kind").ovsPortKind,
    VethPair: () => require("./vethPair/kind").vethPairKind,
    SecurityGroup: () => require("./securityGroup/kind").securityGroupKind,
    LibvirtDomain: () => require("./libvirtDomain/kind").libvirtDomainKind,
    DhcpServer: () => require("./dhcpServer/kind").dhcpServerKind,
    DhcpLease: () => require("./dhcpLease/kind").dhcpLeaseKind,
    HostFile: () => require("./hostFile/kind").hostFileKind,
    RouterNamespace: () => require("./routerNamespace/kind").routerNamespaceKind,
    RouterPort: () => require("./routerPort/kind").routerPortKind,
    StaticNeighbors: () => require("./staticNeighbors/kind").staticNeighborsKind,
    NetnsGuest: () => require("./netnsGuest/kind").netnsGuestKind,
    HostPreflight: () => require("./hostPreflight/kind").hostPreflightKind,
};

/** The kind's spec, loaded on first use; undefined for a name no kind has. */
export function kindSpec(name: string): KindSpec<any, any> | undefined {
    return Object.prototype.hasOwnProperty.call(kinds, name) ? kinds[name]() : undefined;
}
