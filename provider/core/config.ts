import * as fs from "fs";
import * as path from "path";
import { Connection, Credentials } from "../ssh/executor";

/**
 * Provider configuration, read from the stack config by the dynamic provider's `configure`
 * (never from resource inputs, so keys stay out of the state):
 *   dvrlab:sshPrivateKey (secret) or dvrlab:sshPrivateKeyFile, dvrlab:sshPassphrase (secret),
 *   dvrlab:knownHosts (text) or dvrlab:knownHostsFile.
 * A connection's keyRef names another key pair (e.g. keyRef "labKey" → dvrlab:labKey / dvrlab:labKeyFile).
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

export function credentialsFor(c: Connection & { keyRef?: string }): Credentials {
    const ref = c.keyRef ?? "sshPrivateKey";
    let privateKey = get(ref);
    if (!privateKey) {
        const file = get(`${ref}File`);
        if (!file) throw new Error(`no SSH private key for ${c.user}@${c.host}: set config dvrlab:${ref} (secret) or dvrlab:${ref}File`);
        privateKey = readFile(file, `dvrlab:${ref}File`);
    }
    let knownHosts = get("knownHosts");
    if (!knownHosts) {
        const file = get("knownHostsFile");
        if (!file) throw new Error("no pinned host keys: set config dvrlab:knownHosts or dvrlab:knownHostsFile");
        knownHosts = readFile(file, "dvrlab:knownHostsFile");
    }
    return { privateKey, passphrase: get("sshPassphrase"), knownHosts };
}
