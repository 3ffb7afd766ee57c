import { KindSpec, OpContext, Outputs } from "../core/kind";
import { hasKernelDatapath, pollUntil, runPlan } from "../core/hostops";
import { check, describe } from "../ssh/executor";
import { claim } from "../core/ownership";
import { OWNER_KEY } from "../ovs/vsctl";
import { dhcpServerSchema, DhcpServerSpec, namespaceOf, portOf, DhcpServerOutputs, dhcpServerOutputs } from "./schema";
import { dhcpFiles } from "../host/paths";
import {
    dnsmasqArgs,
    isOurDnsmasq,
    isServing,
    parseServer,
    planDeleteFiles,
    planDeleteNamespace,
    planDeletePort,
    planFiles,
    nsPortOf,
    planNamespace,
    planStartDnsmasq,
    planStopDnsmasq,
    ServerState,
    showServer,
    toInputs,
} from "./planner";
import { isDeepStrictEqual } from "util";
import { convergeNsPort } from "../netns/port";

const START_WAIT_MS = 10_000;

const where = (ctx: OpContext, d: Pick<DhcpServerSpec, "network">) => `DhcpServer ${d.network} on ${describe(ctx.conn)}`;

async function current(ctx: OpContext, d: Pick<DhcpServerSpec, "network" | "port">): Promise<ServerState> {
    return parseServer(await check(ctx.ex, ctx.conn, showServer(d)));
}

function outputs(d: DhcpServerSpec, st: ServerState, txChecksum: boolean): DhcpServerOutputs {
    const f = dhcpFiles(d.network);
    return {
        namespace: namespaceOf(d.network),
        portName: portOf(d),
        hostsFile: f.hosts,
        addnHostsFile: f.addnHosts,
        leaseFile: f.leases,
        logFile: f.log,
        pidFile: f.pid,
        pid: isServing(st, d) ? st.dnsmasq!.pid : 0,
        txChecksum,
    };
}

/**
 * Refuses a port, directory or namespace that another owner marked or nobody did. The namespace has
 * no mark of its own: the server's directory (its owner file, written before the namespace is made)
 * is the mark of the whole server.
 */
function ownership(ctx: OpContext, d: DhcpServerSpec, st: ServerState, ...owners: string[]): void {
    const f = dhcpFiles(d.network);
    const ns = namespaceOf(d.network);
    const objects: [string, boolean, string | undefined, string, string][] = [
        [`port ${portOf(d)}`, !!st.port, st.port?.owner, `external_ids:${OWNER_KEY}`, `ovs-vsctl del-port ${portOf(d)}`],
        [f.dir, st.dir, st.owner, `owner file ${f.owner}`, `rm -r ${f.dir}`],
        [`namespace ${ns}`, st.namespace, st.dir ? st.owner : undefined, `owner file ${f.owner}, the server's mark`, `ip netns delete ${ns}`],
    ];
    for (const [what, exists, owner, mark, remove] of objects) {
        if (!exists || (owner !== undefined && owners.includes(owner))) continue;
        claim({ where: `${where(ctx, d)}: ${what}`, exists, owner, want: owners[0], mark, fix: `remove it (${remove}) or use another network name` });
    }
}

/** Brings namespace, port, address and dnsmasq to `d`, step by step from what is there. */
async function converge(ctx: OpContext, d: DhcpServerSpec, st: ServerState): Promise<DhcpServerOutputs> {
    const tx = d.txChecksum ?? (await hasKernelDatapath(ctx.ex, ctx.conn));
    await runPlan(ctx.ex, ctx.conn, planFiles(d));
    if (!st.namespace) await runPlan(ctx.ex, ctx.conn, planNamespace(d.network));
    const link = await convergeNsPort(ctx, nsPortOf(d), st, tx, () => current(ctx, d), where(ctx, d));
    const before = link.before;
    // dnsmasq binds to the interface as it was when it started: a moved or re-addressed port needs a new one.
    const relinked = link.moved || link.readdressed;
    const ours = isOurDnsmasq(before, d);
    const same = isServing(before, d) && isDeepStrictEqual(before.dnsmasq!.argv, dnsmasqArgs(d));
    if (ours && (!d.running || !same || relinked)) await check(ctx.ex, ctx.conn, planStopDnsmasq(before.dnsmasq!.pid, dhcpFiles(d.network).pid));
    if (d.running && (!same || relinked)) {
        await check(ctx.ex, ctx.conn, planStartDnsmasq(d));
        const now = await pollUntil(
            () => current(ctx, d),
            (s) => isServing(s, d),
            START_WAIT_MS,
            100,
            () => `${where(ctx, d)}: dnsmasq did not come up within ${START_WAIT_MS} ms (see ${dhcpFiles(d.network).log})`,
        );
        return outputs(d, now, tx);
    }
    return outputs(d, await current(ctx, d), tx);
}

export const dhcpServerKind: KindSpec<typeof dhcpServerSchema, Outputs<typeof dhcpServerOutputs>> = {
    kind: "DhcpServer",
    version: 1,
    schema: dhcpServerSchema,
    // The namespace, files and port are named for the network; the port's bridge is fixed at add-port.
    replaceOn: ["network", "port", "bridge"],
    deleteBeforeReplace: true,
    hostDefaults: ["txChecksum"],
    id: (d) => `${d.connection.host}/dhcp/${d.network}`,

    async create(ctx, d) {
        const st = await current(ctx, d);
        ownership(ctx, d, st, d.owner);
        try {
            return await converge(ctx, d, st);
        } catch (e) {
            // Only undo what did not exist before this create.
            if (!st.namespace && !st.port && !st.dir) await dhcpServerKind.delete(ctx, "", { ...d, ...outputs(d, st, false) }).catch(() => undefined);
            throw e;
        }
    },

    async read(ctx, _id, olds) {
        const st = await current(ctx, olds);
        if (!st.namespace && !st.port && !st.dir && !isOurDnsmasq(st, olds)) return undefined;
        return { ...toInputs(st, olds), ...outputs(olds, st, st.txChecksum ?? olds.txChecksum) };
    },

    async update(ctx, _id, olds, d) {
        const st = await current(ctx, d);
        ownership(ctx, d, st, olds.owner, d.owner);
        return converge(ctx, d, st);
    },

    async delete(ctx, _id, olds) {
        const st = await current(ctx, olds);
        ownership(ctx, olds, st, olds.owner);
        if (isOurDnsmasq(st, olds)) await check(ctx.ex, ctx.conn, planStopDnsmasq(st.dnsmasq!.pid, dhcpFiles(olds.network).pid));
        if (st.port) await runPlan(ctx.ex, ctx.conn, planDeletePort(st.port.bridge, portOf(olds)));
        if (st.namespace) await runPlan(ctx.ex, ctx.conn, planDeleteNamespace(olds.network));
        await runPlan(ctx.ex, ctx.conn, planDeleteFiles(olds.network));
    },
};
