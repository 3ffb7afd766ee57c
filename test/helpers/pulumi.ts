// Runs the real `pulumi` CLI (built by scripts/engine/build.sh) against a local file backend.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const repoRoot = path.resolve(__dirname, "..", "..");

let binDir: string | undefined;
export function engineBin(): string {
    if (!binDir) binDir = execFileSync("bash", [path.join(repoRoot, "scripts/engine/build.sh")], { encoding: "utf8" }).trim();
    return binDir;
}

export interface PulumiResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** A throwaway project + stack with its own state dir; the program lives under the repo. */
export class TestStack {
    readonly stateDir: string;
    readonly env: NodeJS.ProcessEnv;
    constructor(
        readonly projectDir: string,
        readonly stack: string,
        workDir: string,
    ) {
        this.stateDir = path.join(workDir, "state");
        fs.mkdirSync(this.stateDir, { recursive: true });
        this.env = {
            ...process.env,
            PATH: `${engineBin()}:${process.env.PATH}`,
            PULUMI_HOME: path.join(workDir, "home"),
            PULUMI_BACKEND_URL: `file://${this.stateDir}`,
            PULUMI_CONFIG_PASSPHRASE: "dvrlab-test",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            DVRLAB_ROOT: repoRoot,
        };
    }

    run(args: string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): PulumiResult {
        const r = spawnSync("pulumi", [...args, "--stack", this.stack, "--non-interactive", "--color", "never"], {
            cwd: this.projectDir,
            env: this.env,
            input: opts.input,
            encoding: "utf8",
            timeout: opts.timeoutMs ?? 300_000,
            maxBuffer: 64 * 1024 * 1024,
        });
        const res = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
        if (res.code !== 0 && !opts.allowFail) {
            throw new Error(`pulumi ${args.join(" ")} exited ${res.code}\n${res.stdout}\n${res.stderr}`);
        }
        return res;
    }

    init(): void {
        this.run(["stack", "init"], { allowFail: true });
    }

    setConfig(key: string, value: string, secret = false): void {
        // value via stdin keeps secrets off the process list
        const r = spawnSync("pulumi", ["config", "set", key, "--stack", this.stack, "--non-interactive", ...(secret ? ["--secret"] : ["--plaintext"])], {
            cwd: this.projectDir,
            env: this.env,
            input: value,
            encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`pulumi config set ${key} failed: ${r.stderr}`);
    }

    /** All state files' text, for leak checks. */
    stateText(): string {
        const out: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else out.push(fs.readFileSync(p, "utf8"));
            }
        };
        walk(this.stateDir);
        return out.join("\n");
    }

    exportState(): any {
        return JSON.parse(this.run(["stack", "export", "--show-secrets=false"]).stdout);
    }
}
