// Named flow intents for the Neutron pipeline: `brTun.floodToTun({vlan: 1, vni: 0x813, ports: [2, 3]})`.
export * as brTun from "./brTun";
export * as brInt from "./brInt";
export { brIntTables, brTunTables, OFP_DEFAULT_PRIORITY } from "./tables";
export { dvrMac, dvrMacs, DVR_BASE_MAC } from "./dvrMac";
