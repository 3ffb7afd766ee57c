import { z } from "zod";

// Kernel interface names: IFNAMSIZ-1 = 15 bytes, no "/", no whitespace. We also refuse shell
// metacharacters so a name is safe in any context (it is still always passed as one argv element).
export const ifName = z
    .string()
    .min(1)
    .max(15, "interface names are at most 15 characters (IFNAMSIZ)")
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, '_', '.', '-' only, starting with a letter or digit")
    .refine((s) => s !== "." && s !== "..", "not a valid interface name");

export const hostName = z
    .string()
    .min(1)
    .max(253)
    .regex(
        /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:]+$/,
        "a host name or IP address",
    );

export const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, "an IPv4 address like 192.168.10.168");

export const cidr4 = z
    .string()
    .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/, "an IPv4 CIDR like 192.168.10.0/24");

export const mac = z
    .string()
    .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "a MAC address like fa:16:3e:ff:aa:66")
    .transform((s) => s.toLowerCase());

export const vlan = z.number().int().min(0).max(4095);
export const vni = z
    .number()
    .int()
    .min(0)
    .max(2 ** 24 - 1);

export const configKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "a config key name");

const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name");

/** A host's stable name: its identity in the state, whatever address it is reached at. */
export const stableHostName = z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "letters, digits, '_', '.', '-', at most 63, starting with a letter or digit");

/** A jump host (OpenSSH's ProxyJump): dialled first, the host is reached through it. Its host key is pinned like the hosts'. */
export const bastion = z
    .object({
        host: hostName,
        port: z.number().int().min(1).max(65535).default(22),
        user: unixUser.default("root"),
        /** Config key of the bastion's private key; unset: the host's keyRef. */
        keyRef: configKey.optional(),
    })
    .strict();
export type BastionSpec = z.output<typeof bastion>;

/**
 * How a resource reaches its host. The key is a reference to provider config, never a value.
 * Only `name` is the host's identity: with a name, a new address, port, user, key or bastion is
 * the same host reached another way (an in-place update), a new name is another host (replace).
 */
export const connection = z.object({
    host: hostName,
    port: z.number().int().min(1).max(65535).default(22),
    user: unixUser.default("root"),
    /** Config key (namespace dvrlab) holding the private key; `<keyRef>File` may hold a path instead. */
    keyRef: configKey.default("sshPrivateKey"),
    /** "sudo": `user` is not root and runs every command through passwordless `sudo -n`; unset: root. */
    become: z.enum(["sudo"]).optional(),
    /** The host's stable name (e.g. the topology's host name); unset: the address is the identity. */
    name: stableHostName.optional(),
    /** Reached through this jump host. */
    bastion: bastion.optional(),
    /** true: authenticate with the ssh-agent at SSH_AUTH_SOCK of the pulumi process (and the key too, when one is configured). */
    agent: z.boolean().optional(),
});
export type ConnectionArgs = z.input<typeof connection>;
export type ConnectionSpec = z.output<typeof connection>;

/** Who owns an object on a host: "dvrlab:<project>/<stack>". Written into markers on the host. */
export const owner = z.string().regex(/^dvrlab:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "dvrlab:<project>/<stack>");

/**
 * The host-computed outputs a kind declares as a zod object next to its input schema (an empty
 * object when it has none: zod types that as Record<string, never>, which would absorb the inputs).
 */
export type Outputs<O extends z.ZodObject<any>> = z.output<O> extends Record<string, never> ? {} : z.output<O>;

export interface Failure {
    property: string;
    reason: string;
}

/** Maps zod issues to Pulumi check failures naming the property path. */
export function failuresOf(err: z.ZodError): Failure[] {
    return err.issues.map((i) => ({
        property: i.path.length ? i.path.map(String).join(".") : "(inputs)",
        reason: i.message,
    }));
}
