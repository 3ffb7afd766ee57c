import { z } from "zod";
import { connection, ifName, owner } from "../core/schema";

// OpenFlow text as ovs-ofctl reads it. The text travels as one quoted argv element or as one line
// on ovs-ofctl's stdin, so a newline would smuggle a second flow_mod (e.g. a `delete`) into a
// batch: only the characters OpenFlow syntax needs are accepted. "(", ")" and ">" are shell
// metacharacters but OpenFlow needs them (`resubmit(,1)`, `learn(...)`, `load:0->NXM_…[]`); they
// are safe because nothing is ever interpreted by a shell unquoted.
const FLOW_CHARS = /^[A-Za-z0-9_.,:=/()[\]>+-]+$/;
const FLOW_CHARS_MSG = "letters, digits and _ . , : = / ( ) [ ] > + - only: no spaces, quotes, newlines or ; & | $ ` \\ < * ? ! { } ~ #";

// Keys that would override what the resource owns (cookie, table, priority, timeouts) or end the
// match early (actions=): in a match they are smuggling, refused by name.
const RESERVED_IN_MATCH = [
    "actions",
    "cookie",
    "table",
    "priority",
    "idle_timeout",
    "hard_timeout",
    "importance",
    "send_flow_rem",
    "check_overlap",
    "reset_counts",
    "no_packet_counts",
    "no_byte_counts",
    "out_port",
    "out_group",
    "duration",
    "n_packets",
    "n_bytes",
    "idle_age",
    "hard_age",
    "no_readonly_table",
    "allow_hidden_fields",
];

/** Top-level keys of a match: OVS reads `key=value`, `key:value` and `key(value)` alike. */
function matchKeys(m: string): string[] {
    return m.split(",").map((t) => t.split(/[=:(]/)[0]);
}

export const flowMatch = z
    .string()
    .min(1, "must not be empty: omit match to match every packet")
    .max(4096)
    .regex(FLOW_CHARS, FLOW_CHARS_MSG)
    .superRefine((m, ctx) => {
        // ovs-ofctl starts the actions at the first "action" anywhere in the text (strstr), so
        // `in_port=1,action=drop` would end the match early too.
        if (/action/i.test(m)) {
            ctx.addIssue({ code: "custom", message: "a match must not contain actions= or action (put them in actions)" });
            return;
        }
        const bad = matchKeys(m).filter((k) => RESERVED_IN_MATCH.includes(k));
        if (bad.length)
            ctx.addIssue({
                code: "custom",
                message: `${bad.join(", ")} cannot be set in a match: use the resource's own inputs (table, priority, idleTimeout, hardTimeout; the cookie is owned)`,
            });
        if (m.startsWith(",") || m.endsWith(",") || m.includes(",,")) ctx.addIssue({ code: "custom", message: "empty field in match (stray comma)" });
    });

export const flowActions = z
    .string()
    .min(1, "must not be empty: use drop to drop packets")
    .max(8192)
    .regex(FLOW_CHARS, FLOW_CHARS_MSG)
    .refine((a) => !a.startsWith("actions="), "give the actions without the leading actions=");

/** A 64-bit OpenFlow cookie in hex, never 0 (0 is what hand-made flows carry). */
export const cookie = z
    .string()
    .regex(/^0x[0-9a-f]{1,16}$/, "a 64-bit cookie in lower-case hex like 0xd71a2b3c4d5e6f70")
    .refine((c) => !/^0x[0-9a-f]{1,16}$/.test(c) || BigInt(c) !== 0n, "cookie 0 is not ownable (hand-made flows carry it)");

const timeout = z.number().int().min(0).max(65535);

export const flowEntrySchema = z.object({
    connection,
    owner,
    bridge: ifName,
    /** 255 means "all tables" in OpenFlow requests: not a table a flow can live in. */
    table: z.number().int().min(0).max(254),
    priority: z.number().int().min(0).max(65535),
    /** Omitted: every packet (a table's default flow, e.g. `table=1,priority=0,actions=resubmit(,2)`). */
    match: flowMatch.optional(),
    actions: flowActions,
    /** Seconds; unset or 0 = permanent. A change replaces the flow (OpenFlow modify keeps timeouts). */
    idleTimeout: timeout.optional(),
    hardTimeout: timeout.optional(),
    /** Ownership: computed by the FlowEntry class from project, stack and resource name. */
    cookie,
});

export type FlowEntryArgs = z.input<typeof flowEntrySchema>;
export type FlowEntrySpec = z.output<typeof flowEntrySchema>;

/** Host-read, canonical form of a flow (what `ovs-ofctl dump-flows` prints), stored as outputs. */
export const flowEntryOutputs = z.object({
    /** The match as OVS prints it right after our write; read compares the host against this. */
    ovsMatch: z.string(),
    ovsActions: z.string(),
});
export type FlowEntryOutputs = z.output<typeof flowEntryOutputs>;
