// First: a program importing dvrlab (the stack) reads every dvrlab module below from the transpile
// cache (.cache/ts) instead of running TypeScript over it on each pulumi command (~1 s of CPU).
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
