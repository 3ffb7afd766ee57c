// Every resource kind the runtime can serve, by the name the shim stores.
import { linuxBridgeKind } from "./linuxBridge/kind";

export const kinds = {
    LinuxBridge: linuxBridgeKind,
};
