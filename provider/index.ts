// dvrlab's public API (the package's main): resource classes and their Args, flow intents, the
// topology schema and DvrNetwork. First: from a checkout, a program importing dvrlab reads every
// dvrlab module below from the transpile cache (.cache/ts) instead of running TypeScript over it on
// each pulumi command (~1 s of CPU); in the compiled package boot does nothing.
import "./core/boot";
export { LinuxBridge, LinuxBridgeResourceArgs } from "./linuxBridge/resource";
export { FlowEntry, FlowEntryResourceArgs, FlowSpec, flowArgs } from "./flowEntry/resource";
export { brTun, brInt, brIntTables, brTunTables } from "./flows";
export { OvsBridge, OvsBridgeResourceArgs } from "./ovsBridge/resource";
export { OvsPort, OvsPortResourceArgs } from "./ovsPort/resource";
export { VethPair, VethPairResourceArgs } from "./vethPair/resource";
export { SecurityGroup, SecurityGroupResourceArgs } from "./securityGroup/resource";
export { LibvirtDomain, LibvirtDomainResourceArgs } from "./libvirtDomain/resource";
export { DhcpServer, DhcpServerResourceArgs } from "./dhcpServer/resource";
export { DhcpLease, DhcpLeaseResourceArgs } from "./dhcpLease/resource";
export { HostFile, HostFileResourceArgs } from "./hostFile/resource";
export { fileSha256 } from "./hostFile/local";
export { RouterNamespace, RouterNamespaceResourceArgs } from "./routerNamespace/resource";
export { qrouterNamespace } from "./routerNamespace/schema";
export { RouterPort, RouterPortResourceArgs } from "./routerPort/resource";
export { StaticNeighbors, StaticNeighborsResourceArgs } from "./staticNeighbors/resource";
export { NetnsGuest, NetnsGuestResourceArgs } from "./netnsGuest/resource";
export { HostPreflight, HostPreflightResourceArgs } from "./hostPreflight/resource";
export { dvrMac, dvrMacs, DVR_BASE_MAC } from "./flows";
export { SshPool, Executor, Connection, CommandError, ConnectError } from "./ssh/executor";
export { stackOwner } from "./core/shim";
export { DvrNetwork, DvrNetworkArgs, DvrMachine } from "./network/dvrNetwork";
export { DvrHost, DvrHostArgs, PATCH_INT_OFPORT, PATCH_TUN_OFPORT, PROTOCOLS } from "./network/dvrHost";
export { TunnelMesh, TunnelMeshArgs } from "./network/tunnelMesh";
export { DistributedRouter, DistributedRouterArgs, dvrMacFlows } from "./network/distributedRouter";
export { DhcpAgent, DhcpAgentArgs } from "./network/dhcpAgent";
export { GuestImage, GuestImageArgs } from "./network/guestImage";
export { VmPort, VmPortArgs } from "./network/vmPort";
export { vmDomain } from "./network/vmDomain";
export {
    topologySchema,
    parseTopology,
    resolve,
    tunnelPortName,
    vmOfport,
    Topology,
    TopologyInput,
    Plan,
    ResolvedHost,
    ResolvedNetwork,
    ResolvedVm,
    ResolvedRouter,
    ResolvedTunnel,
} from "./network/topology";
export { guestManifestSchema, readGuestManifest, GuestManifest } from "./guest/manifest";
export { ConnectionArgs } from "./core/schema";
