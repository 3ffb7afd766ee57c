export { LinuxBridge, LinuxBridgeResourceArgs } from "./linuxBridge/resource";
export { SshPool, Executor, Connection, CommandError, ConnectError } from "./ssh/executor";
export { stackOwner } from "./core/shim";
