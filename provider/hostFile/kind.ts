import { randomBytes } from "crypto";
import * as fs from "fs";
import { KindSpec, OpContext, Outputs } from "../core/kind";
import { check, CommandError, describe } from "../ssh/executor";
import { HostFileSpec, hostFileSchema, hostFileOutputs } from "./schema";
import {
    HostFileState,
    parseHash,
    parseStat,
    planChmod,
    planHash,
    planMkdirParent,
    planRemove,
    planRemoveStaleTmp,
    planRemoveEmptyParents,
    planRename,
    planStat,
    planWriteStdin,
    tmpPathFor,
} from "./planner";

const where = (ctx: OpContext, p: string) => `HostFile ${p} on ${describe(ctx.conn)}`;

/** Generous for a slow link: a minute plus a second per MB (the lab moves ~MB in milliseconds). */
export const uploadTimeoutMs = (bytes: number) => 60_000 + Math.ceil(bytes / 1_000_000) * 1_000;

/** What the host has at the path, or undefined when nothing is there. */
async function current(ctx: OpContext, p: string): Promise<HostFileState | undefined> {
    const r = await ctx.ex.run(ctx.conn, planStat(p));
    if (r.code !== 0) {
        if (/No such file or directory/.test(r.stderr)) return undefined;
        throw new CommandError(ctx.conn, planStat(p), r);
    }
    const st = parseStat(r.stdout);
    if (!st.regular) throw new Error(`${where(ctx, p)}: the path is a ${st.type}, not a regular file; remove it by hand`);
    return { mode: st.mode, sha256: parseHash(await check(ctx.ex, ctx.conn, planHash(p))) };
}

/**
 * Streams the local file to `<path>.tmp.<random>` and renames it over the path, so a reader never
 * sees half a file and an interrupted upload leaves the old content in place.
 */
async function upload(ctx: OpContext, f: HostFileSpec): Promise<void> {
    let size: number;
    try {
        const st = await fs.promises.stat(f.source);
        if (!st.isFile()) throw new Error("not a regular file");
        size = st.size;
    } catch (e: any) {
        throw new Error(`${where(ctx, f.path)}: cannot read the local source ${f.source}: ${e?.message ?? e}`);
    }
    const tmp = tmpPathFor(f.path, randomBytes(6).toString("hex"));
    await check(ctx.ex, ctx.conn, planMkdirParent(f.path));
    try {
        const input = fs.createReadStream(f.source, { highWaterMark: 1 << 20 });
        try {
            await check(ctx.ex, ctx.conn, planWriteStdin(tmp), { stdinStream: input, timeoutMs: uploadTimeoutMs(size) });
        } finally {
            input.destroy();
        }
        const got = parseHash(await check(ctx.ex, ctx.conn, planHash(tmp)));
        if (got !== f.sha256) {
            throw new Error(
                `${where(ctx, f.path)}: the uploaded ${f.source} has sha256 ${got}, but the sha256 input is ${f.sha256}; ` +
                    "the local file changed after the program hashed it (use fileSha256(source))",
            );
        }
        await check(ctx.ex, ctx.conn, planChmod(tmp, f.mode));
        await check(ctx.ex, ctx.conn, planRename(tmp, f.path));
        await check(ctx.ex, ctx.conn, planRemoveStaleTmp(f.path));
    } catch (e) {
        await ctx.ex.run(ctx.conn, planRemove(tmp)).catch(() => undefined);
        throw e;
    }
}

/** Content first (a fresh upload carries the mode), else just the mode. */
async function converge(ctx: OpContext, cur: HostFileState | undefined, f: HostFileSpec): Promise<void> {
    if (!cur || cur.sha256 !== f.sha256) await upload(ctx, f);
    else if (cur.mode !== f.mode) await check(ctx.ex, ctx.conn, planChmod(f.path, f.mode));
}

export const hostFileKind: KindSpec<typeof hostFileSchema, Outputs<typeof hostFileOutputs>> = {
    kind: "HostFile",
    version: 1,
    schema: hostFileSchema,
    replaceOn: ["path"],
    // Old and new paths differ, so the new file can exist before the old one is removed.
    deleteBeforeReplace: false,
    id: (f) => `${f.connection.host}:${f.path}`,

    async create(ctx, f) {
        // Same content already there (an earlier run, or put there by hand): adopt, fix the mode.
        await converge(ctx, await current(ctx, f.path), f);
        return {};
    },

    async read(ctx, _id, olds) {
        const cur = await current(ctx, olds.path);
        if (!cur) return undefined;
        return { ...olds, sha256: cur.sha256, mode: cur.mode };
    },

    async update(ctx, _id, _olds, f) {
        // Decided by the host, not the diff: a new source with the same bytes uploads nothing, and
        // content changed by hand is put back.
        await converge(ctx, await current(ctx, f.path), f);
        return {};
    },

    async delete(ctx, _id, olds) {
        await check(ctx.ex, ctx.conn, planRemove(olds.path));
        await check(ctx.ex, ctx.conn, planRemoveStaleTmp(olds.path));
        // e.g. an image version's directory once its last file is gone
        await check(ctx.ex, ctx.conn, planRemoveEmptyParents(olds.path));
    },
};
