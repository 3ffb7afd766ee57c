// The impure half of a namespaced OVS internal port (planner.ts has the argv and the parser):
// converges a port over the executor.
import { Argv } from "../ssh/quote";
import { check } from "../ssh/executor";
import { runPlan } from "../core/hostops";
import type { OpContext } from "../core/kind";
import { NsPortSpec, NsPortState, parseNsPort, planDeleteInternalPort, planInternalPort, planNsLink, sections } from "./planner";

/**
 * Brings the port to `p` from what `show` reports (the namespace must exist): adds or re-tags the
 * internal port, replaces a port whose device vanished (its namespace was deleted by hand: a fresh
 * port brings a fresh device), then moves and configures the device. `before` is the state seen
 * just before the device was configured.
 */
export async function convergeNsPort<T extends NsPortState>(
    ctx: OpContext,
    p: NsPortSpec,
    st: NsPortState,
    tx: boolean,
    show: () => Promise<T>,
    where: string,
): Promise<{ moved: boolean; readdressed: boolean; before: T }> {
    if (st.port) {
        if (st.port.type !== "internal") throw new Error(`${where}: port ${p.name} exists with type ${st.port.type}, not internal`);
        if (st.port.bridge !== p.bridge) throw new Error(`${where}: port ${p.name} is on ${st.port.bridge}, not ${p.bridge}`);
        if (st.port.tag !== p.tag || st.port.owner !== p.owner) await runPlan(ctx.ex, ctx.conn, planInternalPort(p, true));
    } else {
        await runPlan(ctx.ex, ctx.conn, planInternalPort(p, false));
    }
    let before = await show();
    if (!before.inHostNamespace && !before.link) {
        await runPlan(ctx.ex, ctx.conn, [...planDeleteInternalPort(p.bridge, p.name), ...planInternalPort(p, false)]);
        before = await show();
        if (!before.inHostNamespace && !before.link) {
            throw new Error(`${where}: port ${p.name} is in OVS but its device is neither on the host nor in ${p.namespace}`);
        }
    }
    const link = planNsLink(p, before, tx, before.txChecksum);
    await runPlan(ctx.ex, ctx.conn, link.cmds);
    return { moved: link.moved, readdressed: link.readdressed, before };
}

/** Runs a show script and parses it (for callers that only need the port). */
export async function showNsPort(ctx: OpContext, argv: Argv): Promise<NsPortState> {
    return parseNsPort(sections(await check(ctx.ex, ctx.conn, argv)));
}
