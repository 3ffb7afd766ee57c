// A JSON Schema for a dvrlab stack's config file (Pulumi.<stack>.yaml), generated from the zod
// schemas, so an editor with a YAML language server completes and checks `dvrlab:topology` and
// the provider's SSH settings. `npm run schema` writes it to schema/stack-config.schema.json.
import { z } from "zod";

/** A config value Pulumi may store encrypted (`{secure: …}`) or as plain text. */
const secretOrText = {
    anyOf: [{ type: "string" }, { type: "object", properties: { secure: { type: "string" } }, required: ["secure"], additionalProperties: false }],
};
const text = (description: string) => ({ type: "string", description });

export function stackConfigSchema(topology: z.ZodType): Record<string, unknown> {
    const topo = z.toJSONSchema(topology, { io: "input", target: "draft-7", unrepresentable: "any" });
    delete (topo as any).$schema;
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        title: "dvrlab stack configuration (Pulumi.<stack>.yaml)",
        type: "object",
        properties: {
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            encryptionsalt: { type: "string" },
            config: {
                type: "object",
                properties: {
                    "dvrlab:topology": {
                        ...topo,
                        description: "The network: hosts, networks, routers, security groups, VMs (see the README's config reference).",
                    },
                    "dvrlab:sshPrivateKey": {
                        ...secretOrText,
                        description:
                            "The SSH private key of every host without a keyRef (store it with --secret); not needed for hosts with agent: true (SSH_AUTH_SOCK).",
                    },
                    "dvrlab:sshPrivateKeyFile": text("Path of the SSH private key file, relative to the project."),
                    "dvrlab:sshPassphrase": { ...secretOrText, description: "The key's passphrase (store it with --secret)." },
                    "dvrlab:knownHosts": text("Pinned host keys, in known_hosts format (the hosts' and their bastions')."),
                    "dvrlab:knownHostsFile": text("Path of a known_hosts file pinning every host's and bastion's key, relative to the project."),
                },
                // Other namespaces (pulumi:, aws:…) and a connection's own keyRef keys (dvrlab:<ref>, dvrlab:<ref>File).
                additionalProperties: true,
            },
        },
    };
}
