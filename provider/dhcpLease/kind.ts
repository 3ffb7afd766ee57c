import { KindSpec, OpContext, Outputs } from "../core/kind";
import { check, CommandError, describe } from "../ssh/executor";
import { dhcpLeaseSchema, DhcpLeaseSpec, DhcpLeaseOutputs, dhcpLeaseOutputs } from "./schema";
import { addnLine, CONFLICT_EXIT, hostsLine, NO_SERVER_EXIT, parseLease, planDelete, planSet, showLease } from "./planner";

const where = (ctx: OpContext, l: DhcpLeaseSpec) => `DhcpLease ${l.hostname} (${l.mac}, ${l.ip}) in network ${l.network} on ${describe(ctx.conn)}`;

async function edit(ctx: OpContext, l: DhcpLeaseSpec, argv: readonly string[]): Promise<void> {
    const r = await ctx.ex.run(ctx.conn, argv);
    if (r.code === 0) return;
    if (r.code === CONFLICT_EXIT) {
        throw new Error(`${where(ctx, l)}: the MAC, IP or host name is already leased to another host:\n${r.stderr.trim()}`);
    }
    if (r.code === NO_SERVER_EXIT) throw new Error(`${where(ctx, l)}: ${r.stderr.trim()}`);
    throw new CommandError(ctx.conn, argv, r);
}

const outputs = (l: DhcpLeaseSpec): DhcpLeaseOutputs => ({ hostsLine: hostsLine(l), addnHostsLine: addnLine(l) });

export const dhcpLeaseKind: KindSpec<typeof dhcpLeaseSchema, Outputs<typeof dhcpLeaseOutputs>> = {
    kind: "DhcpLease",
    version: 1,
    schema: dhcpLeaseSchema,
    // MAC, name and IP change in place (one locked edit swaps the lines); another network is another file.
    replaceOn: ["network"],
    deleteBeforeReplace: false,
    id: (l) => `${l.connection.host}/dhcp/${l.network}/${l.mac}`,

    async create(ctx, l) {
        await edit(ctx, l, planSet(l.network, l));
        return outputs(l);
    },

    async read(ctx, _id, olds) {
        const cur = parseLease(await check(ctx.ex, ctx.conn, showLease(olds.network, olds)), olds);
        return cur ? { ...cur, ...outputs(cur) } : undefined;
    },

    async update(ctx, _id, olds, l) {
        await edit(ctx, l, planSet(l.network, l, olds));
        return outputs(l);
    },

    async delete(ctx, _id, olds) {
        await edit(ctx, olds, planDelete(olds.network, olds));
    },
};
