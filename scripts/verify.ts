// `npm run verify [-- --json] [-- --stack NAME]`: the seed's checks against the deployed stack.
// Reads the stack's outputs and SSH settings with the pulumi CLI (offline, scripts/pulumi.sh),
// prints PASS/FAIL with evidence (and ofproto/trace of a failing packet); exits 1 on any failure.
import { execFileSync } from "child_process";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../provider/core/config";
import { outputsSchema } from "../stacks/dvr/verify/plan";
import { CheckResult, verify } from "../stacks/dvr/verify/run";

const args = process.argv.slice(2);
const json = args.includes("--json");
const si = args.indexOf("--stack");
const env = { ...process.env, ...(si >= 0 ? { DVRLAB_STACK: args[si + 1] } : {}) };
const repo = path.resolve(__dirname, "..");

function pulumi(...a: string[]): string {
    return execFileSync("bash", [path.join(repo, "scripts/pulumi.sh"), ...a], { cwd: repo, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

function print(r: CheckResult): void {
    if (json) return;
    console.log(`${r.pass ? "PASS" : "FAIL"}  ${r.name}  (${r.ms} ms)`);
    for (const e of r.evidence) console.log(`      ${e}`);
    for (const t of r.trace ?? []) console.log(`      ${t}`);
}

async function main(): Promise<number> {
    const outputs = outputsSchema.parse(JSON.parse(pulumi("stack", "output", "--json")));
    const config: Record<string, { value?: string }> = JSON.parse(pulumi("config", "--json", "--show-secrets"));
    process.chdir(repo); // config file paths are relative to the project
    setConfigSource({ get: (k) => (typeof config[k]?.value === "string" ? config[k].value : undefined) });
    const t0 = Date.now();
    const results = await verify(outputs, (h) => credentialsFor({ host: h.host, port: h.port, user: h.user }), { onResult: print });
    const failed = results.filter((r) => !r.pass).length;
    if (json) console.log(JSON.stringify({ passed: results.length - failed, failed, ms: Date.now() - t0, checks: results }, null, 2));
    else console.log(`\n${results.length - failed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return failed ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`verify: ${e.message}`);
        process.exit(2);
    },
);
