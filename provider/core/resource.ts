// One declaration per field: a kind's resource class, its Args and its Outputs are all derived
// from the kind's zod schemas (inputs in `schema`, host-computed values in `outputs`), so adding a
// field is one edit to schema.ts and `tsc` catches every place that disagrees.
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { Outputs } from "./schema";
import { DvrlabResource, stackOwner } from "./shim";

type Scalar = string | number | boolean | bigint | symbol | null | undefined;

/** `T` where every value, at any depth, may also be a pulumi Input (as a resource's args may be). */
export type DeepInput<T> = [T] extends [Scalar] ? pulumi.Input<T> : undefined extends T ? Deep<Exclude<T, undefined>> | undefined : Deep<T>;
type Deep<T> = [T] extends [Scalar]
    ? pulumi.Input<T>
    : [T] extends [readonly (infer E)[]]
      ? pulumi.Input<DeepInput<E>[]>
      : [T] extends [object]
        ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
        : pulumi.Input<T>;

/** Fields the resource class fills in itself: never part of a user's args. */
type Implicit = "owner";

/**
 * A kind's constructor arguments: the schema's input form, each field an Input; `D` names required
 * fields the class derives when they are left out (they become optional).
 */
export type ArgsOf<S extends z.ZodObject<any>, D extends keyof z.input<S> = never> = Omit<
    { [K in keyof z.input<S> as Exclude<K, Implicit>]: DeepInput<z.input<S>[K]> },
    D
> & { [K in D]?: DeepInput<z.input<S>[K]> };

/** A kind's outputs: every parsed input field and every host-computed output, as pulumi Outputs. */
export type OutputsOf<S extends z.ZodObject<any>, O extends z.ZodObject<any>> = {
    readonly [K in keyof (z.output<S> & Outputs<O>)]-?: pulumi.Output<(z.output<S> & Outputs<O>)[K]>;
};

export interface ResourceClass<S extends z.ZodObject<any>, O extends z.ZodObject<any>, D extends keyof z.input<S>> {
    new (name: string, args: ArgsOf<S, D>, opts?: pulumi.CustomResourceOptions): DvrlabResource & OutputsOf<S, O>;
}

export interface ClassOptions<S extends z.ZodObject<any>, D extends keyof z.input<S>> {
    /** Fills in the derived fields `D` (e.g. FlowEntry's cookie from project, stack and name). */
    prepare?: (name: string, args: ArgsOf<S, D>) => Record<string, unknown>;
}

/**
 * The base class of kind `kind`: registers the args, the stack's owner mark when the schema has an
 * `owner` field, and a slot for each of `outputs`' fields (Pulumi exposes only registered
 * properties as outputs; a given arg of the same name wins).
 */
export function resourceClass<S extends z.ZodObject<any>, O extends z.ZodObject<any>, D extends keyof z.input<S> = never>(
    kind: string,
    schema: S,
    outputs: O,
    options: ClassOptions<S, D> = {},
): ResourceClass<S, O, D> {
    const owned = "owner" in schema.shape;
    const slots = Object.fromEntries(Object.keys(outputs.shape).map((k) => [k, undefined]));
    class Kind extends DvrlabResource {
        constructor(name: string, args: ArgsOf<S, D>, opts?: pulumi.CustomResourceOptions) {
            const given = options.prepare ? options.prepare(name, args) : (args as Record<string, unknown>);
            super(kind, name, { ...(owned ? { owner: stackOwner() } : {}), ...slots, ...given }, opts);
        }
    }
    return Kind as unknown as ResourceClass<S, O, D>;
}
