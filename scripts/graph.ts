// `npm run graph [-- --stack NAME] [-- --out DIR]`: the network as built, as a picture. Reads the
// stack's outputs and exported state with the pulumi CLI (offline, scripts/pulumi.sh) and each
// host's live state over SSH (read only), lays it out with graphviz `dot`, and writes
// DIR/<stack>.svg, DIR/<stack>.html (the picture inline, ports and flows per bridge) and
// DIR/<stack>.dot. Exits 0 when it drew the picture (drift is drawn, not an error), 2 when it could not.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { credentialsFor, setConfigSource } from "../provider/core/config";
import { SshPool } from "../provider/ssh/executor";
import { GraphInput, toDot } from "../provider/graph/dot";
import { toHtml } from "../provider/graph/html";
import { connectionOf, readHost } from "../provider/graph/live";
import { driftLines, graphOutputsSchema, HostLive, stateObjects } from "../provider/graph/model";

const USAGE = `usage: npm run graph -- [--stack NAME] [--out DIR]
  --stack NAME  another stack than dev (default: $DVRLAB_STACK or dev)
  --out DIR     where to write <stack>.svg, <stack>.html and <stack>.dot (default: graph/ in the repository)`;

const repo = path.resolve(__dirname, "..");

function parseArgs(argv: string[]) {
    const a = { stack: undefined as string | undefined, out: path.join(repo, "graph") };
    for (let i = 0; i < argv.length; i++) {
        const x = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${x} needs a value\n${USAGE}`);
            return argv[++i];
        };
        if (x === "--stack") a.stack = value();
        else if (x === "--out") a.out = path.resolve(value());
        else if (x === "--help" || x === "-h") {
            console.log(USAGE);
            process.exit(0);
        } else throw new Error(`unknown argument ${x}\n${USAGE}`);
    }
    return a;
}

/** `dot -Tsvg`, the DOT text on stdin (never on a command line). */
export function renderSvg(dot: string): string {
    try {
        return execFileSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8", maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"] });
    } catch (e: any) {
        if (e.code === "ENOENT") throw new Error("graphviz's `dot` is not installed (npm run setup installs it)");
        throw new Error(`dot failed: ${(e.stderr ?? e.message).toString().trim()}`);
    }
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const env = { ...process.env, ...(args.stack ? { DVRLAB_STACK: args.stack } : {}) };
    const stack = env.DVRLAB_STACK ?? "dev";
    const pulumi = (...a: string[]): string =>
        execFileSync("bash", [path.join(repo, "scripts/pulumi.sh"), ...a], {
            cwd: repo,
            env,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 256 << 20,
        });
    const raw = JSON.parse(pulumi("stack", "output", "--json"));
    if (!Object.keys(raw ?? {}).length) throw new Error(`stack ${stack} has no outputs: deploy it first (npm run up)`);
    const parsed = graphOutputsSchema.safeParse(raw);
    if (!parsed.success)
        throw new Error(`the stack's outputs are not what graph reads: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const outputs = parsed.data;
    const state = stateObjects(JSON.parse(pulumi("stack", "export")));
    const config: Record<string, { value?: string }> = JSON.parse(pulumi("config", "--json", "--show-secrets"));
    process.chdir(repo); // config file paths are relative to the project
    setConfigSource({ get: (k) => (typeof config[k]?.value === "string" ? config[k].value : undefined) });

    const pool = new SshPool(credentialsFor);
    const live: Record<string, HostLive> = {};
    try {
        await Promise.all(
            outputs.hosts.map(async (h) => {
                const bridges = state.filter((s) => s.kind === "bridge" && s.host === h.name).map((s) => s.name);
                const domains = state.some((s) => s.kind === "domain" && s.host === h.name);
                live[h.name] = await readHost(pool, connectionOf(h), bridges, domains);
            }),
        );
    } finally {
        pool.close();
    }
    const g: GraphInput = { stack, outputs, state, live };
    const dot = toDot(g);
    const svg = renderSvg(dot);
    fs.mkdirSync(args.out, { recursive: true });
    const file = (ext: string) => path.join(args.out, `${stack}.${ext}`);
    fs.writeFileSync(file("dot"), dot);
    fs.writeFileSync(file("svg"), svg);
    fs.writeFileSync(file("html"), toHtml(g, svg, new Date().toISOString()));
    const drift = driftLines(state, live);
    console.log(drift.length ? `drift:\n${drift.map((l) => `  ${l}`).join("\n")}` : "no drift: every object of the state is on its host");
    console.log(`svg:  ${file("svg")}\nhtml: ${file("html")}`);
    return 0;
}

if (require.main === module)
    main().then(
        (code) => process.exit(code),
        (e) => {
            console.error(`graph: ${e.message}`);
            process.exit(2);
        },
    );
