// The implementation side of every dvrlab dynamic resource. The shim (shim.ts) stored in the
// Pulumi state only names a kind and reaches this module through core/boot.js at run time, so refresh and
// delete always run the installed code, and the state stays small.
import "./boot"; // first: the modules below are read from the transpile cache
import { SshPool, Executor } from "../ssh/executor";
import { credentialsFor, setConfigSource, ConfigSource } from "./config";
import { providerFor } from "./kind";
import { kindSpec } from "../kinds";

/**
 * Bumped with any change of the shim/runtime contract; the shim passes the version it was written
 * with. 1: the shim registers ts-node and requires this module; 2: it requires core/boot.js of a
 * checkout; 3: also the compiled package's (dist/provider/core/boot.js in node_modules/dvrlab).
 */
export const RUNTIME_VERSION = 3;

let pool: SshPool | undefined;

export function executor(): Executor {
    if (!pool) pool = new SshPool(credentialsFor);
    return pool;
}

/** For scripts and tests that drive providers in-process. */
export function closeExecutor(): void {
    pool?.close();
    pool = undefined;
}

export async function configure(config: ConfigSource): Promise<void> {
    setConfigSource(config);
}

const providers = new Map<string, any>();

export function provider(kind: string, shimVersion: number): any {
    if (shimVersion > RUNTIME_VERSION) {
        throw new Error(`dvrlab: the state was written by a newer dvrlab (shim ${shimVersion} > runtime ${RUNTIME_VERSION}); upgrade dvrlab`);
    }
    let p = providers.get(kind);
    if (!p) {
        const spec = kindSpec(kind); // loaded on first use: a process transpiles only the kinds it serves
        if (!spec) throw new Error(`dvrlab: unknown resource kind ${kind}`);
        p = providerFor(spec, executor);
        providers.set(kind, p);
    }
    return p;
}
