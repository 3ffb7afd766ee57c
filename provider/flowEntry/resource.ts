import * as pulumi from "@pulumi/pulumi";
import { ArgsOf, resourceClass } from "../core/resource";
import { flowCookie } from "./planner";
import { flowEntryOutputs, flowEntrySchema } from "./schema";

/** FlowEntry's arguments: the schema's fields (provider/flowEntry/schema.ts), each a pulumi Input. */
export type FlowEntryResourceArgs = ArgsOf<typeof flowEntrySchema, "cookie">;

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

/**
 * One OpenFlow flow on an OVS bridge (the seed's `ovs-ofctl add-flow br-tun "table=22,…"`), owned
 * by a cookie derived from project, stack and resource name (unless `cookie` is given, to take over
 * an existing flow): delete removes exactly `cookie=X/-1`. Build the table/priority/match/actions
 * with the intents in provider/flows:
 * `new FlowEntry("flood-vlan1", { connection, bridge: "br-tun", ...brTun.floodToTun({vlan: 1, vni: 0x813, ports: [2, 3]}) })`.
 * Outputs `ovsMatch`/`ovsActions`: the flow as OVS prints it (what refresh compares against).
 */
export class FlowEntry extends resourceClass<typeof flowEntrySchema, typeof flowEntryOutputs, "cookie">("FlowEntry", flowEntrySchema, flowEntryOutputs, {
    prepare: (name, args) => ({ ...args, cookie: args.cookie ?? flowCookie(pulumi.getProject(), pulumi.getStack(), name) }),
}) {}

/** Spreads an intent that depends on outputs (e.g. an OvsPort's ofport) into FlowEntry arguments. */
export function flowArgs(
    spec: pulumi.Input<FlowSpec>,
): Pick<FlowEntryResourceArgs, "table" | "priority" | "match" | "actions" | "idleTimeout" | "hardTimeout"> {
    const s = pulumi.output(spec);
    return { table: s.table, priority: s.priority, match: s.match, actions: s.actions, idleTimeout: s.idleTimeout, hardTimeout: s.hardTimeout };
}
