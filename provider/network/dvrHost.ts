// Per host, what the seed builds before any VM: br-int and br-tun joined by patch ports (patch-int
// is OpenFlow port 1 on br-tun, as the seed's flows assume), br-int's port-security tables, and
// br-tun's pipeline for every network (VNI → local VLAN, learning from tunnels).
import * as pulumi from "@pulumi/pulumi";
import { brInt, brTun } from "../flows";
import { FlowEntry, FlowSpec } from "../flowEntry/resource";
import { OvsBridge } from "../ovsBridge/resource";
import { OvsPort } from "../ovsPort/resource";
import type { ResolvedHost, ResolvedNetwork } from "./topology";

/** 1.4 for FlowEntry's add-flows --bundle; 1.0 and 1.3 for ovs-ofctl's defaults and Neutron. */
export const PROTOCOLS: ("OpenFlow10" | "OpenFlow13" | "OpenFlow14")[] = ["OpenFlow10", "OpenFlow13", "OpenFlow14"];
export const PATCH_INT_OFPORT = 1;
/** patch-tun on br-int: requested too, so br-int's DVR flows (in_port=patch-tun) are known at preview. */
export const PATCH_TUN_OFPORT = 1;

export interface DvrHostArgs {
    host: ResolvedHost;
    networks: ResolvedNetwork[];
}

export class DvrHost extends pulumi.ComponentResource {
    readonly brInt: OvsBridge;
    readonly brTun: OvsBridge;
    readonly patchInt: OvsPort;
    readonly patchTun: OvsPort;

    constructor(name: string, args: DvrHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dvrlab:stack:DvrHost", name, {}, opts);
        const h = args.host.name;
        const connection = args.host.connection;
        const parent = { parent: this };
        // datapathType unset: the provider detects it (netdev where the kernel has no OVS module).
        // `adopt` only when the topology asks: an unasked existing bridge is refused, never taken over.
        const adopt = (b: string) => (args.host.adopt.includes(b) ? { adopt: true } : {});
        // Resource names stay <host>-br-int/-br-tun whatever the host calls them: a rename is a replace of the same resource.
        const { int, tun } = args.host.bridges;
        this.brInt = new OvsBridge(`${h}-br-int`, { connection, name: int, failMode: "secure", protocols: PROTOCOLS, ...adopt(int) }, parent);
        this.brTun = new OvsBridge(`${h}-br-tun`, { connection, name: tun, failMode: "secure", protocols: PROTOCOLS, ...adopt(tun) }, parent);
        this.patchTun = new OvsPort(
            `${h}-patch-tun`,
            // On an adopted bridge (a Neutron node's) its patch port may be there already: adopted with it.
            {
                connection,
                bridge: this.brInt.name,
                name: "patch-tun",
                type: "patch",
                ofportRequest: PATCH_TUN_OFPORT,
                options: { peer: "patch-int" },
                ...adopt(int),
            },
            parent,
        );
        this.patchInt = new OvsPort(
            `${h}-patch-int`,
            {
                connection,
                bridge: this.brTun.name,
                name: "patch-int",
                type: "patch",
                ofportRequest: PATCH_INT_OFPORT,
                options: { peer: "patch-tun" },
                ...adopt(tun),
            },
            parent,
        );

        const flow = (bridge: OvsBridge, key: string, spec: FlowSpec) => new FlowEntry(`${h}-${key}`, { connection, bridge: bridge.name, ...spec }, parent);
        // br-int: NORMAL for what is not a VM port, VM ports through 24/25 (VmPort adds their allow
        // rules) on to 60; br-tun: the seed's Case B pipeline without the per-tunnel parts (TunnelMesh).
        for (const [key, spec] of Object.entries(brInt.defaultFlows())) flow(this.brInt, `int-${key}`, spec);
        const patchPort = PATCH_INT_OFPORT;
        for (const [key, spec] of Object.entries(brTun.defaultFlows({ patchPort }))) flow(this.brTun, `tun-${key}`, spec);
        for (const n of args.networks) flow(this.brTun, `tun-to-lv-${n.name}`, brTun.tunToLv({ vni: n.vni, vlan: n.vlan }));
        this.registerOutputs({ brInt: this.brInt.name, brTun: this.brTun.name });
    }
}
