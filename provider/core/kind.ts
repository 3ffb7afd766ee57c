import { z } from "zod";
import { isDeepStrictEqual } from "util";
import { connection as connectionSchema, ConnectionSpec, failuresOf, Failure } from "./schema";
import { Executor } from "../ssh/executor";

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
    replaceOn: readonly string[];
    /** Objects keyed by name on the host cannot have old and new side by side. */
    deleteBeforeReplace: boolean;
    /** Optional inputs the host decides when left unset (e.g. datapath type by detection): not a change then. */
    hostDefaults?: readonly string[];
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

export function parseInputs<S extends z.ZodObject<any>>(spec: KindSpec<S, any>, props: any): z.output<S> {
    const r = spec.schema.safeParse(strip(props));
    if (!r.success) throw new ValidationError(spec.kind, failuresOf(r.error));
    return r.data;
}

/** The generic provider for one kind, given how to get an executor. */
export function providerFor<S extends z.ZodObject<any>, O extends object>(spec: KindSpec<S, O>, executor: () => Executor) {
    const ctxFor = (i: any): OpContext => ({ ex: executor(), conn: connectionSchema.parse(i.connection) });
    const lift = (stored: any): any => {
        const s = strip(stored);
        return spec.migrate ? spec.migrate({ ...s, [VERSION_KEY]: stored?.[VERSION_KEY] ?? 0 }) : s;
    };
    const stamp = (o: object) => ({ ...o, [VERSION_KEY]: spec.version });
    const resolvedOf = (outs: any) => Object.fromEntries((spec.hostDefaults ?? []).filter((k) => outs?.[k] !== undefined).map((k) => [k, outs[k]]));
    const inputKeys = Object.keys(spec.schema.shape);

    return {
        async check(_olds: any, news: any) {
            const r = spec.schema.safeParse(strip(news));
            if (!r.success) return { inputs: news, failures: failuresOf(r.error) };
            // Keep the user's form: defaults and normalisation are applied inside the operations.
            return { inputs: news };
        },

        async diff(_id: string, olds: any, news: any) {
            const o = lift(olds);
            let n: any;
            try {
                n = parseInputs(spec, news);
            } catch {
                return { changes: true };
            }
            // `o` went through the schema on create; re-parse so defaults added later compare equal.
            const op = spec.schema.safeParse(o);
            const oldIn: any = op.success ? op.data : o;
            // A host-defaulted input left unset is compared with what the host resolved it to at
            // create/update time, so drift there (e.g. checksum offload turned back on) is repaired.
            const resolved = o.hostResolved ?? {};
            const changed = inputKeys.filter((k) =>
                n[k] === undefined && spec.hostDefaults?.includes(k) ? k in resolved && !isDeepStrictEqual(oldIn[k], resolved[k]) : !isDeepStrictEqual(oldIn[k], n[k]),
            );
            const replaces = changed.filter((k) => spec.replaceOn.includes(k) || (k === "connection" && oldIn.connection?.host !== n.connection?.host));
            return {
                changes: changed.length > 0,
                replaces,
                deleteBeforeReplace: replaces.length > 0 && spec.deleteBeforeReplace,
            };
        },

        async create(inputs: any) {
            const i = parseInputs(spec, inputs);
            const outs = await spec.create(ctxFor(i), i);
            return { id: spec.id(i), outs: stamp({ ...i, ...outs, hostResolved: resolvedOf(outs) }) };
        },

        async read(id: string, props: any) {
            const o = lift(props);
            const cur = await spec.read(ctxFor(o), id, o);
            if (!cur) return {}; // gone: refresh drops it
            // Inputs follow the host too, so the next preview shows the repair as "real => desired".
            const inputs = Object.fromEntries(inputKeys.filter((k) => (cur as any)[k] !== undefined).map((k) => [k, (cur as any)[k]]));
            return { id, props: stamp({ ...cur, hostResolved: o.hostResolved ?? {} }), inputs };
        },

        async update(id: string, olds: any, news: any) {
            const o = lift(olds);
            const n = parseInputs(spec, news);
            const outs = await spec.update(ctxFor(n), id, o, n);
            return { outs: stamp({ ...n, ...outs, hostResolved: resolvedOf(outs) }) };
        },

        async delete(id: string, props: any) {
            const o = lift(props);
            await spec.delete(ctxFor(o), id, o);
        },
    };
}
