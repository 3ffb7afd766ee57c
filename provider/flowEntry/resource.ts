import * as pulumi from "@pulumi/pulumi";
import { DvrlabResource, stackOwner } from "../core/shim";
import { ConnectionArgs } from "../core/schema";
import { flowCookie } from "./planner";

/** What a flow intent (provider/flows) returns: everything but where the flow goes. */
export interface FlowSpec {
    table: number;
    priority: number;
    /** Omitted: every packet. */
    match?: string;
    actions: string;
    idleTimeout?: number;
    hardTimeout?: number;
}

export interface FlowEntryResourceArgs {
    connection: pulumi.Input<ConnectionArgs>;
    bridge: pulumi.Input<string>;
    table: pulumi.Input<number>;
    priority: pulumi.Input<number>;
    match?: pulumi.Input<string | undefined>;
    actions: pulumi.Input<string>;
    idleTimeout?: pulumi.Input<number | undefined>;
    hardTimeout?: pulumi.Input<number | undefined>;
    /** Normally derived from project, stack and name; set it to take over an existing flow by its cookie. */
    cookie?: pulumi.Input<string>;
}

/**
 * One OpenFlow flow on an OVS bridge (the seed's `ovs-ofctl add-flow br-tun "table=22,…"`), owned
 * by a cookie derived from project, stack and resource name: delete removes exactly
 * `cookie=X/-1`. Build the table/priority/match/actions with the intents in provider/flows:
 * `new FlowEntry("flood-vlan1", { connection, bridge: "br-tun", ...brTun.floodToTun({vlan: 1, vni: 0x813, ports: [2, 3]}) })`.
 */
export class FlowEntry extends DvrlabResource {
    declare readonly bridge: pulumi.Output<string>;
    declare readonly table: pulumi.Output<number>;
    declare readonly priority: pulumi.Output<number>;
    declare readonly match: pulumi.Output<string | undefined>;
    declare readonly actions: pulumi.Output<string>;
    declare readonly cookie: pulumi.Output<string>;
    /** The match and actions as OVS prints them (what refresh compares against). */
    declare readonly ovsMatch: pulumi.Output<string>;
    declare readonly ovsActions: pulumi.Output<string>;

    constructor(name: string, args: FlowEntryResourceArgs, opts?: pulumi.CustomResourceOptions) {
        const cookie = args.cookie ?? flowCookie(pulumi.getProject(), pulumi.getStack(), name);
        super("FlowEntry", name, { owner: stackOwner(), ...args, cookie, ovsMatch: undefined, ovsActions: undefined }, opts);
    }
}

/** Spreads an intent that depends on outputs (e.g. an OvsPort's ofport) into FlowEntry arguments. */
export function flowArgs(spec: pulumi.Input<FlowSpec>): Pick<FlowEntryResourceArgs, "table" | "priority" | "match" | "actions" | "idleTimeout" | "hardTimeout"> {
    const s = pulumi.output(spec);
    return { table: s.table, priority: s.priority, match: s.match, actions: s.actions, idleTimeout: s.idleTimeout, hardTimeout: s.hardTimeout };
}
