// Every resource kind the runtime can serve, by the name the shim stores.
import { linuxBridgeKind } from "./linuxBridge/kind";
import { flowEntryKind } from "./flowEntry/kind";
import { ovsBridgeKind } from "./ovsBridge/kind";
import { ovsPortKind } from "./ovsPort/kind";
import { vethPairKind } from "./vethPair/kind";
import { securityGroupKind } from "./securityGroup/kind";
import { libvirtDomainKind } from "./libvirtDomain/kind";
import { dhcpServerKind } from "./dhcpServer/kind";
import { dhcpLeaseKind } from "./dhcpLease/kind";
import { hostFileKind } from "./hostFile/kind";
import { routerNamespaceKind } from "./routerNamespace/kind";
import { routerPortKind } from "./routerPort/kind";
import { staticNeighborsKind } from "./staticNeighbors/kind";

export const kinds = {
    LinuxBridge: linuxBridgeKind,
    FlowEntry: flowEntryKind,
    OvsBridge: ovsBridgeKind,
    OvsPort: ovsPortKind,
    VethPair: vethPairKind,
    SecurityGroup: securityGroupKind,
    LibvirtDomain: libvirtDomainKind,
    DhcpServer: dhcpServerKind,
    DhcpLease: dhcpLeaseKind,
    HostFile: hostFileKind,
    RouterNamespace: routerNamespaceKind,
    RouterPort: routerPortKind,
    StaticNeighbors: staticNeighborsKind,
};
