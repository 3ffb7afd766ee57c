// `npm run verify [-- --json] [-- --stack NAME] [-- --only PATTERN]… [-- --list]`: the seed's
// checks (provider/verify/checks/) against the deployed stack. Reads the stack's outputs and SSH
// settings with the pulumi CLI (offline, scripts/pulumi.sh), prints PASS/FAIL with evidence (and
// ofproto/trace of a failing packet); exits 1 on any failure, 2 when it could not run.
import { execFileSync } from "child_process";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../provider/core/config";
import { outputsSchema, StackOutputs } from "../provider/verify/plan";
import { listText, onlyMatcher, selectChecks } from "../provider/verify/checks";
import { CheckResult, verify } from "../provider/verify/run";

const USAGE = `usage: npm run verify -- [--list] [--only PATTERN]... [--json] [--stack NAME]
  --list          the check kinds, and the checks this stack gets (with --only: those selected)
  --only PATTERN  run only checks whose kind or name matches (regular expression, case-insensitive; repeatable)
  --json          one JSON document: {passed, failed, ms, checks: [{name, kind, pass, evidence, trace?, ms}]}
  --stack NAME    another stack than dev (default: $DVRLAB_STACK or dev)`;

function parseArgs(argv: string[]) {
    const a = { json: false, list: false, only: [] as string[], stack: undefined as string | undefined };
    for (let i = 0; i < argv.length; i++) {
        const x = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${x} needs a value\n${USAGE}`);
            return argv[++i];
        };
        if (x === "--json") a.json = true;
        else if (x === "--list") a.list = true;
        else if (x === "--only") a.only.push(value());
        else if (x.startsWith("--only=")) a.only.push(x.slice("--only=".length));
        else if (x === "--stack") a.stack = value();
        else if (x === "--help" || x === "-h") {
            console.log(USAGE);
            process.exit(0);
        } else throw new Error(`unknown argument ${x}\n${USAGE}`);
    }
    return a;
}

const repo = path.resolve(__dirname, "..");

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const env = { ...process.env, ...(args.stack ? { DVRLAB_STACK: args.stack } : {}) };
    const pulumi = (...a: string[]): string =>
        execFileSync("bash", [path.join(repo, "scripts/pulumi.sh"), ...a], {
            cwd: repo,
            env,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 64 << 20,
        });
    const readOutputs = (): StackOutputs => {
        const raw = JSON.parse(pulumi("stack", "output", "--json"));
        const r = outputsSchema.safeParse(raw);
        if (r.success) return r.data;
        if (!Object.keys(raw ?? {}).length) throw new Error(`stack ${env.DVRLAB_STACK ?? "dev"} has no outputs: deploy it first (npm run up)`);
        throw new Error(`the stack's outputs are not what verify reads: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    };
    onlyMatcher(args.only); // a bad pattern fails before pulumi runs

    if (args.list) {
        let outputs: StackOutputs | undefined;
        try {
            outputs = readOutputs();
        } catch (e: any) {
            console.error(`verify: no checks to list for the stack (${(e.stderr?.toString() || e.message).trim().split("\n")[0]}): kinds only\n`);
        }
        console.log(listText(outputs, args.only));
        return 0;
    }

    const outputs = readOutputs();
    if (!selectChecks(outputs, args.only).length) throw new Error(`no check matches ${args.only.map((p) => JSON.stringify(p)).join(" or ")} (see --list)`);
    const config: Record<string, { value?: string }> = JSON.parse(pulumi("config", "--json", "--show-secrets"));
    process.chdir(repo); // config file paths are relative to the project
    setConfigSource({ get: (k) => (typeof config[k]?.value === "string" ? config[k].value : undefined) });
    const print = (r: CheckResult): void => {
        if (args.json) return;
        console.log(`${r.pass ? "PASS" : "FAIL"}  ${r.name}  (${r.ms} ms)`);
        for (const e of r.evidence) console.log(`      ${e}`);
        for (const t of r.trace ?? []) console.log(`      ${t}`);
    };
    const t0 = Date.now();
    const results = await verify(outputs, credentialsFor, { only: args.only, onResult: print });
    const failed = results.filter((r) => !r.pass).length;
    if (args.json) console.log(JSON.stringify({ passed: results.length - failed, failed, ms: Date.now() - t0, checks: results }, null, 2));
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
