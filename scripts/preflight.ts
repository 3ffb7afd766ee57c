// `npm run preflight [-- --json] [-- --stack NAME]`: the checks `pulumi up` runs first on every
// host (HostPreflight), on their own: reads the stack's topology and SSH settings with the pulumi
// CLI, runs the read-only probes over SSH, prints each host's findings. Exit 1 when a host fails.
import { execFileSync } from "child_process";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../provider/core/config";
import { runPreflight } from "../provider/hostPreflight/kind";
import { hostPreflightSchema } from "../provider/hostPreflight/schema";
import { preflightArgs } from "../provider/network/preflight";
import { parseTopology, resolve } from "../provider/network/topology";
import { describe, SshPool } from "../provider/ssh/executor";

const args = process.argv.slice(2);
const json = args.includes("--json");
const si = args.indexOf("--stack");
const repo = path.resolve(__dirname, "..");
const env = { ...process.env, ...(si >= 0 ? { DVRLAB_STACK: args[si + 1] } : {}) };

async function main(): Promise<number> {
    const config: Record<string, { value?: string; objectValue?: unknown }> = JSON.parse(
        execFileSync("bash", [path.join(repo, "scripts/pulumi.sh"), "config", "--json", "--show-secrets"], {
            cwd: repo,
            env,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        }),
    );
    const raw = config["dvrlab:topology"];
    if (!raw) throw new Error("the stack has no dvrlab:topology config");
    const plan = resolve(parseTopology(raw.objectValue ?? JSON.parse(raw.value ?? "null")));
    process.chdir(repo); // config file paths are relative to the project
    setConfigSource({ get: (k) => (typeof config[k]?.value === "string" ? config[k].value : undefined) });
    const pool = new SshPool(credentialsFor);
    try {
        const results = await Promise.all(
            plan.hosts.map(async (h) => {
                const spec = hostPreflightSchema.parse(preflightArgs(plan, h));
                try {
                    return { host: h.name, ...(await runPreflight({ ex: pool, conn: spec.connection }, spec)) };
                } catch (e: any) {
                    return {
                        host: h.name,
                        findings: [{ check: "ssh", ok: false, detail: e.message, fix: `check ${describe(spec.connection)} and the SSH settings` }],
                        versions: {},
                    };
                }
            }),
        );
        const failed = results.filter((r) => r.findings.some((f) => !f.ok));
        if (json) console.log(JSON.stringify({ ok: !failed.length, hosts: results }, null, 2));
        else {
            for (const r of results) {
                console.log(`${r.findings.every((f) => f.ok) ? "PASS" : "FAIL"}  ${r.host}`);
                for (const f of r.findings)
                    console.log(`      ${f.ok ? "ok  " : "FAIL"}  ${f.check}: ${f.detail}${f.fix ? `\n              fix: ${f.fix}` : ""}`);
            }
            console.log(`\n${results.length - failed.length} of ${results.length} hosts ready`);
        }
        return failed.length ? 1 : 0;
    } finally {
        pool.close();
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`preflight: ${e.message}`);
        process.exit(2);
    },
);
