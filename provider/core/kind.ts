import { z } from "zod";
import { isDeepStrictEqual } from "util";
import { connection as connectionSchema, ConnectionSpec, failuresOf, Failure, Outputs } from "./schema";

export type { Outputs };
import { Executor } from "../ssh/executor";
import { logged } from "./commandLog";

/** What a resource implementation gets for one operation. */
export interface OpContext {
    ex: Executor;
    conn: ConnectionSpec;
}

/**
 * One resource kind: schema → planner → provider. The generic provider below turns a KindSpec
 * into Pulumi's check/diff/create/read/update/delete, so every resource behaves the same way.
 * `I` is the parsed input; `O` the computed outputs added to it in the state.
 */
export interface KindSpec<S extends z.ZodObject<any>, O extends object = {}> {
    kind: string;
    /** Bumped when the stored output shape changes; `migrate` lifts older shapes. */
    version: number;
    schema: S;
    /** Input fields whose change needs a new object (the rest update in place). */
    replaceOn: readonly (keyof z.output<S> & string)[];
    /** Objects keyed by name on the host cannot have old and new side by side. */
    deleteBeforeReplace: boolean;
    /** Optional inputs the host decides when left unset (e.g. datapath type by detection): not a change then. */
    /**
     * Run `update` when only the connection changed (the kind's outputs depend on how the host is
     * reached, e.g. preflight's privilege); by default that update is a no-op: same object, new way in.
     */
    updateOnConnectionChange?: boolean;
    hostDefaults?: readonly (keyof z.output<S> & keyof O & string)[];
    id(i: z.output<S>): string;
    create(ctx: OpContext, i: z.output<S>): Promise<O>;
    /** Real host state in input form (plus outputs), or undefined when the object is gone. */
    read(ctx: OpContext, id: string, olds: z.output<S> & O): Promise<(z.output<S> & O) | undefined>;
    update(ctx: OpContext, id: string, olds: z.output<S> & O, news: z.output<S>): Promise<O>;
    delete(ctx: OpContext, id: string, olds: z.output<S> & O): Promise<void>;
    migrate?(stored: any): any;
}

const PROVIDER_KEY = "__provider";
const VERSION_KEY = "dvrlabVersion";

function strip(props: any): any {
    const { [PROVIDER_KEY]: _p, [VERSION_KEY]: _v, ...rest } = props ?? {};
    return rest;
}

export class ValidationError extends Error {
    constructor(kind: string, failures: Failure[]) {
        super(`${kind}: invalid inputs: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
}

/** What Pulumi passes (at preview) for a value not known yet, e.g. another resource's output; also nested in objects and arrays. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is, or contains, a not-yet-known value. */
export function hasUnknown(v: any): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(hasUnknown);
    if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
    return false;
}

/** Whether the value at `path` in `root`, or any value on the way there, is unknown. */
function pathHitsUnknown(root: any, path: readonly PropertyKey[]): boolean {
    let v = root;
    if (v === UNKNOWN) return true;
    for (const k of path) {
        if (v === null || typeof v !== "object") return false;
        v = v[k as any];
        if (v === UNKNOWN) return true;
    }
    return false;
}

function valueAt(root: any, path: readonly PropertyKey[]): any {
    let v = root;
    for (const k of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = v[k as any];
    }
    return v;
}

/**
 * The schema issues not caused by a not-yet-known value: an issue whose path runs through an
 * unknown is dropped, and so is a refinement (code "custom": it may compare fields) of an object
 * holding an unknown, unless the top-level field it names, itself fully known, fails it alone.
 * The dropped ones are checked again when the values are known (at `up`).
 */
function knownIssues(shape: Record<string, z.ZodType>, value: any, issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
    const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.length === b.length && a.every((k, i) => String(k) === String(b[i]));
    return issues.filter((i) => {
        if (pathHitsUnknown(value, i.path)) return false;
        if (i.code !== "custom" || !hasUnknown(valueAt(value, i.path.slice(0, -1)))) return true;
        const field = String(i.path[0] ?? "");
        const schema = shape[field];
        if (!schema || hasUnknown(value?.[field])) return false;
        const alone = schema.safeParse(value[field]);
        return !alone.success && alone.error.issues.some((j) => samePath(j.path, i.path.slice(1)));
    });
}

/**
 * The user's inputs with the schema's defaults filled in where a value was left out: given values
 * keep the user's form (normalisation happens inside the operations), objects and arrays deeply.
 * No undefined members (Pulumi's Struct cannot carry them).
 */
function withDefaults(given: any, parsed: any): any {
    if (given === undefined) return defined(parsed);
    if (Array.isArray(given) && Array.isArray(parsed) && given.length === parsed.length) return given.map((g, i) => withDefaults(g, parsed[i]));
    if (isPlain(given) && isPlain(parsed)) {
        const out: any = {};
        for (const k of new Set([...Object.keys(given), ...Object.keys(parsed)])) {
            const v = withDefaults(given[k], parsed[k]);
            if (v !== undefined) out[k] = v;
        }
        return out;
    }
    return defined(given);
}

const isPlain = (v: any) => v !== null && typeof v === "object" && !Array.isArray(v);

function defined(v: any): any {
    if (Array.isArray(v)) return v.map(defined);
    if (isPlain(v))
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, defined(x)]),
        );
    return v;
}

export function parseInputs<S extends z.ZodObject<any>>(spec: KindSpec<S, any>, props: any): z.output<S> {
    const r = spec.schema.safeParse(strip(props));
    if (!r.success) throw new ValidationError(spec.kind, failuresOf(r.error));
    return r.data;
}

/**
 * Whether a connection change means another host: with a name on both sides, only a new name does
 * (an address, port, user, key or bastion change reaches the same host another way); otherwise the
 * address is the identity, so naming a host in an existing state replaces nothing.
 */
export function identityChanged(olds: { host?: string; name?: string } | undefined, news: { host?: string; name?: string } | undefined): boolean {
    if (olds?.name !== undefined && news?.name !== undefined) return olds.name !== news.name;
    return olds?.host !== news?.host;
}

/** The parsed input fields that differ; `unknown` ones (preview) count as changed. */
function changedKeys(spec: KindSpec<any, any>, oldIn: any, n: any, resolved: Record<string, unknown>, unknown: readonly string[] = []): string[] {
    // A host-defaulted input left unset is compared with what the host resolved it to at
    // create/update time, so drift there (e.g. checksum offload turned back on) is repaired.
    return Object.keys(spec.schema.shape).filter((k) =>
        unknown.includes(k)
            ? true
            : n[k] === undefined && (spec.hostDefaults as readonly string[] | undefined)?.includes(k)
              ? k in resolved && !isDeepStrictEqual(oldIn[k], resolved[k])
              : !isDeepStrictEqual(oldIn[k], n[k]),
    );
}

/** The generic provider for one kind, given how to get an executor. */
export function providerFor<S extends z.ZodObject<any>, O extends object>(spec: KindSpec<S, O>, executor: () => Executor) {
    // every command of the operation goes to pulumi's debug log, named by kind, id and operation
    const ctxFor = (i: any, op: string, id: string): OpContext => ({
        ex: logged(executor(), `${spec.kind} ${id} ${op}`),
        conn: connectionSchema.parse(i.connection),
    });
    const lift = (stored: any): any => {
        const s = strip(stored);
        return spec.migrate ? spec.migrate({ ...s, [VERSION_KEY]: stored?.[VERSION_KEY] ?? 0 }) : s;
    };
    const stamp = (o: object) => ({ ...o, [VERSION_KEY]: spec.version });
    const resolvedOf = (outs: any) => Object.fromEntries((spec.hostDefaults ?? []).filter((k) => outs?.[k] !== undefined).map((k) => [k, outs[k]]));
    const shape = spec.schema.shape as Record<string, z.ZodType>;
    const inputKeys = Object.keys(shape);

    return {
        async check(_olds: any, news: any) {
            const input = strip(news);
            const keep = (inputs: any) => (news && PROVIDER_KEY in news ? { ...inputs, [PROVIDER_KEY]: news[PROVIDER_KEY] } : inputs);
            const r = spec.schema.safeParse(input);
            // The user's form with zod defaults filled in, so the inputs Pulumi stores and shows
            // compare equal with the defaulted ones in the state (no "- up: true" in a preview).
            // Host-decided inputs have no zod default: left unset, they stay unset.
            if (r.success) return { inputs: keep(withDefaults(input, r.data)) };
            const failures = failuresOf({ issues: knownIssues(shape, input, r.error.issues) } as z.ZodError);
            if (failures.length) return { inputs: news, failures };
            // Only unknown values (preview) are in the way: known fields get their defaults, a field
            // holding an unknown stays as given.
            const inputs: any = {};
            for (const k of new Set([...Object.keys(input), ...inputKeys])) {
                const field = shape[k];
                if (!field || hasUnknown(input[k])) {
                    inputs[k] = input[k];
                    continue;
                }
                const f = field.safeParse(input[k]);
                const v = f.success ? withDefaults(input[k], f.data) : input[k];
                if (v !== undefined) inputs[k] = v;
            }
            return { inputs: keep(inputs) };
        },

        async diff(_id: string, olds: any, news: any) {
            const o = lift(olds);
            const input = strip(news);
            // Known inputs are compared field by field; one not known yet (preview) is a change.
            const unknown = inputKeys.filter((k) => hasUnknown(input[k]));
            let n: any;
            if (unknown.length) {
                n = {};
                for (const k of inputKeys) {
                    if (unknown.includes(k)) continue;
                    const f = shape[k].safeParse(input[k]);
                    if (!f.success) return { changes: true };
                    n[k] = f.data;
                }
            } else {
                try {
                    n = parseInputs(spec, news);
                } catch {
                    return { changes: true };
                }
            }
            // `o` went through the schema on create; re-parse so defaults added later compare equal.
            const op = spec.schema.safeParse(o);
            const oldIn: any = op.success ? op.data : o;
            const changed = changedKeys(spec, oldIn, n, o.hostResolved ?? {}, unknown);
            const hostChanged = (k: string) => {
                if (k !== "connection") return false;
                if (!unknown.includes(k)) return identityChanged(oldIn.connection, n.connection);
                if (input.connection === UNKNOWN) return true;
                const known = { name: input.connection?.name, host: input.connection?.host };
                if (oldIn.connection?.name !== undefined && known.name !== undefined) return known.name === UNKNOWN || known.name !== oldIn.connection.name;
                return known.host === UNKNOWN || known.host !== oldIn.connection?.host;
            };
            const replaces = changed.filter((k) => (spec.replaceOn as readonly string[]).includes(k) || hostChanged(k));
            return {
                changes: changed.length > 0,
                replaces,
                deleteBeforeReplace: replaces.length > 0 && spec.deleteBeforeReplace,
            };
        },

        async create(inputs: any) {
            const i = parseInputs(spec, inputs);
            const outs = await spec.create(ctxFor(i, "create", spec.id(i)), i);
            return { id: spec.id(i), outs: stamp({ ...i, ...outs, hostResolved: resolvedOf(outs) }) };
        },

        async read(id: string, props: any) {
            const o = lift(props);
            const cur = await spec.read(ctxFor(o, "read", id), id, o);
            if (!cur) return {}; // gone: refresh drops it
            // Inputs follow the host too, so the next preview shows the repair as "real => desired".
            const inputs = Object.fromEntries(inputKeys.filter((k) => (cur as any)[k] !== undefined).map((k) => [k, (cur as any)[k]]));
            return { id, props: stamp({ ...cur, hostResolved: o.hostResolved ?? {} }), inputs };
        },

        async update(id: string, olds: any, news: any) {
            const o = lift(olds);
            const n = parseInputs(spec, news);
            // Only the way to the host changed (a new address, bastion or name added): the object
            // on the host is the same, nothing to do there; the state takes the new connection.
            const op = spec.schema.safeParse(o);
            const changed = op.success ? changedKeys(spec, op.data, n, o.hostResolved ?? {}) : [];
            // An update with nothing seen to change still converges (the host may have drifted).
            if (!spec.updateOnConnectionChange && changed.length && changed.every((k) => k === "connection")) {
                const outs = Object.fromEntries(Object.entries(o).filter(([k]) => !(k in shape) && k !== "hostResolved"));
                return { outs: stamp({ ...n, ...outs, hostResolved: o.hostResolved ?? {} }) };
            }
            const outs = await spec.update(ctxFor(n, "update", id), id, o, n);
            return { outs: stamp({ ...n, ...outs, hostResolved: resolvedOf(outs) }) };
        },

        async delete(id: string, props: any) {
            const o = lift(props);
            await spec.delete(ctxFor(o, "delete", id), id, o);
        },
    };
}
