// OpenFlow table numbers of Neutron's OVS agent (neutron/plugins/ml2/drivers/openvswitch/agent/
// common/constants.py), so a stack and a dump read the same as Neutron's own pipeline.

/** Integration bridge (br-int). */
export const brIntTables = {
    /** Table 0: where every packet starts; normal switching and redirects to the tables below. */
    LOCAL_SWITCHING: 0,
    /** DVR: a routed packet from a tunnel gets the local port's gateway MAC back. */
    DVR_TO_SRC_MAC: 1,
    DVR_TO_SRC_MAC_VLAN: 2,
    CANARY_TABLE: 23,
    /** ARP anti-spoofing: a port may only answer ARP for its own addresses. */
    ARP_SPOOF_TABLE: 24,
    MAC_SPOOF_TABLE: 25,
    TRANSIENT_TABLE: 60,
} as const;

/** Tunnel bridge (br-tun). */
export const brTunTables = {
    /** Table 0: classifies by in_port (patch from br-int, or a tunnel port). */
    LOCAL_SWITCHING: 0,
    /** DVR: rewrites the shared gateway MAC to this host's DVR MAC before a packet enters a tunnel. */
    DVR_PROCESS: 1,
    /** From br-int: unicast to UCAST_TO_TUN, broadcast/multicast to FLOOD_TO_TUN. */
    PATCH_LV_TO_TUN: 2,
    GRE_TUN_TO_LV: 3,
    /** From a VXLAN tunnel: VNI → local VLAN. */
    VXLAN_TUN_TO_LV: 4,
    GENEVE_TUN_TO_LV: 6,
    /** DVR: packets from other hosts' DVR MACs must not be learnt. */
    DVR_NOT_LEARN: 9,
    /** Learns "this MAC is behind that tunnel port" into UCAST_TO_TUN, then hands to br-int. */
    LEARN_FROM_TUN: 10,
    UCAST_TO_TUN: 20,
    ARP_RESPONDER: 21,
    FLOOD_TO_TUN: 22,
} as const;

/** OpenFlow's default priority (what a flow written without `priority=` gets). */
export const OFP_DEFAULT_PRIORITY = 32768;
