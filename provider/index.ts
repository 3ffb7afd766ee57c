export { LinuxBridge, LinuxBridgeResourceArgs } from "./linuxBridge/resource";
export { FlowEntry, FlowEntryResourceArgs, FlowSpec, flowArgs } from "./flowEntry/resource";
export { brTun, brInt, brIntTables, brTunTables } from "./flows";
export { OvsBridge, OvsBridgeResourceArgs } from "./ovsBridge/resource";
export { OvsPort, OvsPortResourceArgs } from "./ovsPort/resource";
export { VethPair, VethPairResourceArgs } from "./vethPair/resource";
export { SecurityGroup, SecurityGroupResourceArgs } from "./securityGroup/resource";
export { SshPool, Executor, Connection, CommandError, ConnectError } from "./ssh/executor";
export { stackOwner } from "./core/shim";
