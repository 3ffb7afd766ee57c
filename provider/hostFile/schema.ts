import { z } from "zod";
import { connection } from "../core/schema";
import { hostPath } from "../libvirtDomain/schema";

/** A path on the machine running pulumi; only ever opened by Node, never seen by a shell. */
export const localPath = z
    .string()
    .max(4096)
    .regex(/^\//, "an absolute local path")
    .refine((p) => !p.includes("\0"), "no NUL bytes");

export const sha256Hex = z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "the sha256 of the content as 64 hex digits (fileSha256(source))")
    .transform((s) => s.toLowerCase());

/** Permission bits as octal, "644" or "0644"; normalised to 4 digits (what read reports). */
export const fileMode = z
    .string()
    .regex(/^[0-7]{3,4}$/, 'an octal mode like "0644"')
    .transform((s) => s.padStart(4, "0"));

export const hostFileSchema = z.object({
    connection,
    /** Where the file goes on the host; its parent directories are created. A change replaces. */
    path: hostPath.refine((p) => p !== "/", "a file path, not /"),
    /** The local file to upload (on the machine running pulumi). */
    source: localPath,
    /** The content's identity: a change re-uploads in place; the upload is checked against it. */
    sha256: sha256Hex,
    mode: fileMode.default("0644"),
});

export type HostFileArgs = z.input<typeof hostFileSchema>;
export type HostFileSpec = z.output<typeof hostFileSchema>;

export const hostFileOutputs = z.object({});
