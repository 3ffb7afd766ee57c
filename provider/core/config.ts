import * as fs from "fs";
import * as path from "path";
import { Connection, Credentials } from "../ssh/executor";

/**
 * Provider configuration, read from the stack config by the dynamic provider's `configure`
 * (never from resource inputs, so keys stay out of the state):
 *   dvrlab:sshPrivateKey (secret) or dvrlab:sshPrivateKeyFile, dvrlab:sshPassphrase (secret),
 *   dvrlab:knownHosts (text) or dvrlab:knownHostsFile.
 * A connection's keyRef names another key pair (e.g. keyRef "labKey" → dvrlab:labKey / dvrlab:labKeyFile);
 * a bastion's keyRef its own (default: the host's). `agent: true` uses SSH_AUTH_SOCK's agent instead
 * of (or besides) a key. Bastions' host keys are pinned in the same known hosts.
 */
export interface ConfigSource {
    get(key: string): string | undefined;
}

let source: ConfigSource = { get: () => undefined };

export function setConfigSource(s: ConfigSource): void {
    source = s;
}

function get(key: string): string | undefined {
    const v = source.get(`dvrlab:${key}`);
    return v === undefined || v === "" ? undefined : v;
}

/** Relative paths in config are relative to the Pulumi project (the program may run in a subdirectory of it). */
export function projectDir(): string {
    for (let d = process.cwd(); ; d = path.dirname(d)) {
        if (fs.existsSync(path.join(d, "Pulumi.yaml")) || fs.existsSync(path.join(d, "Pulumi.yml"))) return d;
        if (path.dirname(d) === d) return process.cwd();
    }
}

function readFile(p: string, what: string): string {
    const abs = path.resolve(projectDir(), p);
    try {
        return fs.readFileSync(abs, "utf8");
    } catch (e: any) {
        throw new Error(`cannot read ${what} file ${abs}: ${e.code ?? e.message}`);
    }
}

/**
 * A connection's credentials, read when it is dialled (never stored): its key (keyRef), or with
 * `agent: true` the ssh-agent at SSH_AUTH_SOCK of this process (plus the key when one is configured).
 * A missing one says what to configure.
 */
export function credentialsFor(c: Connection, env: NodeJS.ProcessEnv = process.env): Credentials {
    const ref = c.keyRef ?? "sshPrivateKey";
    const who = `${c.user}@${c.host}${c.port !== undefined && c.port !== 22 ? `:${c.port}` : ""}`;
    let agent: string | undefined;
    if (c.agent) {
        agent = env.SSH_AUTH_SOCK || undefined;
        if (!agent) {
            throw new Error(
                `no ssh-agent for ${who}: its connection has agent: true but SSH_AUTH_SOCK is not set in the environment of pulumi; ` +
                    `start an agent and add the key (eval $(ssh-agent); ssh-add KEY) in the shell that runs pulumi, or set config dvrlab:${ref}File (or dvrlab:${ref}, secret) and drop agent`,
            );
        }
    }
    let privateKey = get(ref);
    if (!privateKey) {
        const file = get(`${ref}File`);
        if (file) privateKey = readFile(file, `dvrlab:${ref}File`);
        else if (!agent)
            throw new Error(
                `no SSH private key for ${who}: set config dvrlab:${ref} (secret) or dvrlab:${ref}File, or use an ssh-agent (agent: true and SSH_AUTH_SOCK)`,
            );
    }
    let knownHosts = get("knownHosts");
    if (!knownHosts) {
        const file = get("knownHostsFile");
        if (!file) throw new Error("no pinned host keys: set config dvrlab:knownHosts or dvrlab:knownHostsFile");
        knownHosts = readFile(file, "dvrlab:knownHostsFile");
    }
    return { privateKey, passphrase: privateKey ? get("sshPassphrase") : undefined, agent, knownHosts };
}
