import { KindSpec, OpContext, Outputs } from "../core/kind";
import { pollUntil, runPlan } from "../core/hostops";
import { check, CommandError, describe } from "../ssh/executor";
import { libvirtDomainSchema, LibvirtDomainSpec, pathsOf, LibvirtDomainOutputs, libvirtDomainOutputs } from "./schema";
import {
    DomainState,
    domainXml,
    explainPreflight,
    interfaceXml,
    detectKvm,
    kvmUsable,
    libvirtLogOf,
    markXml,
    parseShowDomain,
    planDefine,
    planDestroy,
    planDirs,
    planDisk,
    planRemoveFiles,
    planResume,
    planSetMark,
    planStart,
    planUndefine,
    planUpdate,
    planUpdateInterface,
    preflight,
    showDomain,
    toInputs,
} from "./planner";

const RUNNING_WAIT_MS = 30_000;
// `virsh start` under TCG with a cold page cache can take a while; a define is quick.
const START_TIMEOUT_MS = 120_000;

const where = (ctx: OpContext, name: string) => `LibvirtDomain ${name} on ${describe(ctx.conn)}`;

async function current(ctx: OpContext, name: string): Promise<DomainState | undefined> {
    return parseShowDomain(await check(ctx.ex, ctx.conn, showDomain(name)));
}

async function domainTypeFor(ctx: OpContext, d: LibvirtDomainSpec): Promise<"kvm" | "qemu"> {
    if (d.domainType) return d.domainType;
    return kvmUsable(await check(ctx.ex, ctx.conn, detectKvm(), { timeoutMs: 120_000 })) ? "kvm" : "qemu";
}

/** Bounded poll until libvirt reports the wanted state. */
async function waitState(ctx: OpContext, name: string, want: (s: string | undefined) => boolean, what: string): Promise<DomainState | undefined> {
    return pollUntil(
        () => current(ctx, name),
        (st) => want(st?.state),
        RUNNING_WAIT_MS,
        200,
        (st) => `${where(ctx, name)}: not ${what} after ${RUNNING_WAIT_MS} ms (state: ${st?.state ?? "undefined"})`,
    );
}

/** The taps must sit on the bridges the inputs name (libvirt put them there; make sure). */
function checkTaps(ctx: OpContext, d: LibvirtDomainSpec, st: DomainState): void {
    if (st.state !== "running") return;
    for (const n of d.interfaces) {
        const t = st.taps.get(n.tap);
        if (!t) throw new Error(`${where(ctx, d.name)}: tap ${n.tap} did not appear`);
        if (t.master !== n.bridge) throw new Error(`${where(ctx, d.name)}: tap ${n.tap} is on ${t.master ?? "no bridge"}, not ${n.bridge}`);
    }
}

function outputs(d: LibvirtDomainSpec, st: DomainState, domainType: "kvm" | "qemu", diskCreated: boolean): LibvirtDomainOutputs {
    const p = pathsOf(d);
    return {
        domainType,
        uuid: st.domain.uuid ?? "",
        diskPath: p.disk,
        diskCreated,
        channelSocketPath: p.channelSocket,
        consoleLogPath: p.consoleLog,
        state: st.state,
    };
}

async function destroyIfActive(ctx: OpContext, name: string): Promise<void> {
    const r = await ctx.ex.run(ctx.conn, planDestroy(name));
    if (r.code !== 0 && !/not running|domain is not running|Requested operation is not valid/i.test(r.stderr)) {
        throw new CommandError(ctx.conn, planDestroy(name), r);
    }
}

async function start(ctx: OpContext, name: string): Promise<DomainState> {
    await check(ctx.ex, ctx.conn, planStart(name), { timeoutMs: START_TIMEOUT_MS });
    return (await waitState(ctx, name, (s) => s === "running", "running"))!;
}

/** Brings an existing domain (ours) to `d`: live where libvirt allows it, else redefine + power cycle. */
async function converge(ctx: OpContext, d: LibvirtDomainSpec, st: DomainState, diskCreated: boolean): Promise<DomainState> {
    const cur = toInputs(st, d);
    const plan = planUpdate(cur, st, d);
    const name = d.name;
    if (plan.restart.length || plan.rebridge.length) {
        // The preflight only checks bridges here: the taps are this domain's own.
        const problems = explainPreflight(await check(ctx.ex, ctx.conn, preflight(d, { checkTaps: false, checkDisk: false })), describe(ctx.conn));
        if (problems.length) throw new Error(`${where(ctx, name)}: ${problems.join("; ")}`);
    }
    if (plan.restart.length) {
        await runPlan(ctx.ex, ctx.conn, planDirs(d));
        await check(ctx.ex, ctx.conn, planDefine(), { stdin: domainXml(d, { domainType: d.domainType!, uuid: st.domain.uuid, diskCreated }) });
        if (st.state !== "shut off") await destroyIfActive(ctx, name);
        if (d.running) return start(ctx, name);
        return (await current(ctx, name))!;
    }
    const live = st.state === "running" || st.state === "paused";
    for (const i of plan.rebridge) {
        await check(ctx.ex, ctx.conn, planUpdateInterface(name, live), { stdin: interfaceXml(d.interfaces[i]) });
    }
    for (const i of plan.reattach) {
        await check(ctx.ex, ctx.conn, ["ip", "link", "set", "dev", d.interfaces[i].tap, "master", d.interfaces[i].bridge]);
    }
    if (plan.owner) await check(ctx.ex, ctx.conn, planSetMark(name, live), { stdin: markXml(d, diskCreated) });
    if (plan.stop) await destroyIfActive(ctx, name);
    if (plan.resume) await check(ctx.ex, ctx.conn, planResume(name));
    if (plan.start) return start(ctx, name);
    return (await current(ctx, name))!;
}

/** Defines and starts a new domain; on failure removes what it made (the disk only if made now). */
async function build(ctx: OpContext, d: LibvirtDomainSpec & { domainType: "kvm" | "qemu" }, reuseDisk: boolean): Promise<LibvirtDomainOutputs> {
    const problems = explainPreflight(await check(ctx.ex, ctx.conn, preflight(d, { checkTaps: true, checkDisk: !reuseDisk })), describe(ctx.conn));
    if (problems.length) throw new Error(`${where(ctx, d.name)}: ${problems.join("; ")}`);
    const p = pathsOf(d);
    let madeDisk = false;
    let defined = false;
    try {
        await runPlan(ctx.ex, ctx.conn, planDirs(d));
        if (!reuseDisk) {
            await runPlan(ctx.ex, ctx.conn, planDisk(d));
            madeDisk = !!p.disk;
        }
        const diskCreated = madeDisk || reuseDisk;
        await check(ctx.ex, ctx.conn, planDefine(), { stdin: domainXml(d, { domainType: d.domainType, diskCreated }) });
        defined = true;
        const st = d.running ? await start(ctx, d.name) : (await current(ctx, d.name))!;
        checkTaps(ctx, d, st);
        return outputs(d, st, d.domainType, diskCreated);
    } catch (e) {
        // Leave nothing half-made: the domain, and the disk only if we just made it.
        if (defined) {
            await destroyIfActive(ctx, d.name).catch(() => undefined);
            await ctx.ex.run(ctx.conn, planUndefine(d.name)).catch(() => undefined);
        }
        await runPlan(ctx.ex, ctx.conn, planRemoveFiles({ disk: madeDisk ? p.disk : undefined, socket: p.channelSocket })).catch(() => undefined);
        throw e;
    }
}

function ownership(ctx: OpContext, d: LibvirtDomainSpec, st: DomainState): void {
    const own = st.domain.mark.owner;
    if (!own) throw new Error(`${where(ctx, d.name)}: an unmanaged domain of that name exists; remove it or pick another name`);
    if (own !== d.owner) throw new Error(`${where(ctx, d.name)}: exists and belongs to ${own}`);
}

export const libvirtDomainKind: KindSpec<typeof libvirtDomainSchema, Outputs<typeof libvirtDomainOutputs>> = {
    kind: "LibvirtDomain",
    version: 1,
    schema: libvirtDomainSchema,
    // A new name is a new domain; a new disk is a new machine (its overlay holds the guest's writes).
    replaceOn: ["name", "disk"],
    deleteBeforeReplace: true,
    hostDefaults: ["domainType"],
    id: (d) => `${d.connection.host}/domain/${d.name}`,

    async create(ctx, i) {
        const domainType = await domainTypeFor(ctx, i);
        const d = { ...i, domainType };
        const existing = await current(ctx, d.name);
        if (existing) {
            // Ours from an interrupted run: adopt and converge.
            ownership(ctx, d, existing);
            const created = existing.domain.mark.diskCreated;
            const st = await converge(ctx, d, existing, created);
            checkTaps(ctx, d, st);
            return outputs(d, st, domainType, created);
        }
        return build(ctx, d, false);
    },

    async read(ctx, _id, olds) {
        const st = await current(ctx, olds.name);
        if (!st) {
            // Undefined by hand while our disk is still there: drift that update repairs on that disk.
            const disk = pathsOf(olds).disk;
            if (disk && olds.diskCreated && (await ctx.ex.run(ctx.conn, ["test", "-f", disk])).code === 0) {
                return { ...olds, running: false, state: "undefined" };
            }
            return undefined;
        }
        const created = st.domain.mark.diskCreated || olds.diskCreated;
        return { ...toInputs(st, olds), ...outputs(olds, st, (st.domain.type as any) ?? olds.domainType, created) };
    },

    async update(ctx, _id, olds, i) {
        const domainType = await domainTypeFor(ctx, i);
        const d = { ...i, domainType };
        const st = await current(ctx, d.name);
        if (!st) {
            // Undefined by hand: define it again, on the disk we made if it is still there.
            const disk = pathsOf(d).disk;
            const keep = !!disk && olds.diskCreated && (await ctx.ex.run(ctx.conn, ["test", "-f", disk])).code === 0;
            return build(ctx, d, keep);
        }
        ownership(ctx, { ...d, owner: olds.owner }, st);
        const created = st.domain.mark.diskCreated || olds.diskCreated;
        const after = await converge(ctx, d, st, created);
        checkTaps(ctx, d, after);
        return outputs(d, after, domainType, created);
    },

    async delete(ctx, _id, olds) {
        const p = pathsOf(olds);
        const st = await current(ctx, olds.name);
        let diskCreated = olds.diskCreated;
        if (st) {
            const own = st.domain.mark.owner;
            if (own !== olds.owner) {
                throw new Error(`${where(ctx, olds.name)}: not deleting, it is owned by ${own ?? "nobody (unmanaged)"}, not ${olds.owner}`);
            }
            diskCreated = diskCreated || (st.domain.mark.diskCreated && st.domain.mark.disk === p.disk);
            if (st.state !== "shut off") await destroyIfActive(ctx, olds.name);
            await check(ctx.ex, ctx.conn, planUndefine(olds.name));
        }
        // The domain is gone: its console log and libvirt's qemu log of it go too.
        await runPlan(
            ctx.ex,
            ctx.conn,
            planRemoveFiles({ disk: diskCreated ? p.disk : undefined, socket: p.channelSocket, logs: [p.consoleLog, libvirtLogOf(olds.name)] }),
        );
    },
};
