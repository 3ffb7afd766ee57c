// A fake executor that behaves like ovs-ofctl on in-memory bridges, enough for the batcher:
// dump-flows, add-flows (add / modify_strict / delete lines, atomic like --bundle), and the
// scratch-bridge canonicalisation script. Like OVS it rewrites some action spellings
// (strip_vlan → pop_vlan, set_tunnel:X → set_field:X->tun_id), so canonical forms must come from it.
import { Connection, ExecOptions, ExecResult, Executor } from "../../../provider/ssh/executor";
import { Argv } from "../../../provider/ssh/quote";

export interface FakeFlow {
    cookie: string;
    table: number;
    priority: number;
    idle: number;
    hard: number;
    match: string;
    actions: string;
}

const canonActions = (a: string) => a.replace(/strip_vlan/g, "pop_vlan").replace(/set_tunnel:(0x[0-9a-f]+)/g, "set_field:$1->tun_id");
const canonMatch = (m: string) => m.replace(/vlan_tci=0x1001\/0x1fff/, "dl_vlan=1");

function parseFlowMod(text: string): FakeFlow & { cookieMask: boolean } {
    const at = text.indexOf("actions=");
    const head = at >= 0 ? text.slice(0, at).replace(/,$/, "") : text;
    const f: FakeFlow & { cookieMask: boolean } = {
        cookie: "0x0",
        table: 0,
        priority: 32768,
        idle: 0,
        hard: 0,
        match: "",
        actions: at >= 0 ? canonActions(text.slice(at + 8)) : "",
        cookieMask: false,
    };
    const match: string[] = [];
    for (const t of head.split(",").filter(Boolean)) {
        const [k, v] = t.split("=");
        if (k === "cookie") {
            f.cookieMask = v.endsWith("/-1");
            f.cookie = "0x" + BigInt(v.replace("/-1", "")).toString(16);
        } else if (k === "table") f.table = Number(v);
        else if (k === "priority") f.priority = Number(v);
        else if (k === "idle_timeout") f.idle = Number(v);
        else if (k === "hard_timeout") f.hard = Number(v);
        else match.push(t);
    }
    f.match = canonMatch(match.join(","));
    return f;
}

export function printFlow(f: FakeFlow): string {
    const head = [
        f.cookie !== "0x0" ? `cookie=${f.cookie}, ` : "",
        f.table ? `table=${f.table}, ` : "",
        f.idle ? `idle_timeout=${f.idle}, ` : "",
        f.hard ? `hard_timeout=${f.hard}, ` : "",
    ].join("");
    const m = [f.priority !== 32768 ? `priority=${f.priority}` : "", f.match].filter(Boolean).join(",");
    return ` ${head}${m}${m ? " " : ""}actions=${f.actions}`;
}

export class FakeOvs implements Executor {
    bridges = new Map<string, FakeFlow[]>();
    calls: { argv: Argv; stdin?: string }[] = [];
    /** Bridges whose OpenFlow versions exclude 1.4 (no --bundle). */
    noBundle = new Set<string>();
    /** Delay per command, to let concurrent callers pile up like real SSH round trips. */
    latencyMs = 2;

    addBridge(name: string, flows: FakeFlow[] = []): void {
        this.bridges.set(name, flows);
    }

    count(verb: string): number {
        return this.calls.filter(
            (c) =>
                c.argv.includes(verb) || (verb === "canonicalise" && c.argv[3] === "dvrlab-canonicalise") || (verb === "write" && c.argv[3] === "dvrlab-flows"),
        ).length;
    }

    writes(): { argv: Argv; stdin?: string }[] {
        return this.calls.filter((c) => c.argv[3] === "dvrlab-flows");
    }

    async run(_c: Connection, argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
        this.calls.push({ argv, stdin: opts.stdin });
        await new Promise((r) => setTimeout(r, this.latencyMs));
        const ok = (stdout = ""): ExecResult => ({ stdout, stderr: "", code: 0 });
        const fail = (stderr: string): ExecResult => ({ stdout: "", stderr, code: 1 });
        if (argv[0] === "sh" && argv[3] === "dvrlab-flows") {
            // write, then read back (WRITE_SCRIPT)
            const [bridge, bundle, ...back] = argv.slice(4);
            const flows = this.bridges.get(bridge);
            if (!flows) return fail(`ovs-ofctl: ${bridge} is not a bridge or a socket\n`);
            if (bundle && this.noBundle.has(bridge)) {
                return fail(
                    `vconn|WARN|unix:/run/openvswitch/${bridge}.mgmt: version negotiation failed (we support version 0x05, peer supports versions 0x01, 0x04)\novs-ofctl: ${bridge}: failed to connect to socket (Broken pipe)\n`,
                );
            }
            const r = this.apply(flows, opts.stdin ?? "");
            if (r) return fail(r);
            const shown = back[0] === "--all" ? flows : flows.filter((f) => back.includes(f.cookie));
            return ok(shown.map(printFlow).join("\n") + (shown.length ? "\n" : ""));
        }
        if (argv[0] === "sh") {
            const target = argv[4];
            if (!this.bridges.has(target)) return fail(`ovs-vsctl: no row "${target}" in table Bridge`);
            const scratch: FakeFlow[] = [];
            const r = this.apply(scratch, opts.stdin ?? "");
            if (r) return fail(r);
            return ok(scratch.map(printFlow).join("\n") + "\n");
        }
        const verb = argv.find((a) => a === "dump-flows" || a === "add-flows");
        const bridge = argv[argv.indexOf(verb!) + 1];
        const flows = this.bridges.get(bridge);
        if (!flows) return fail(`ovs-ofctl: ${bridge} is not a bridge or a socket\n`);
        if (verb === "dump-flows") return ok(flows.map(printFlow).join("\n") + (flows.length ? "\n" : ""));
        if (argv.includes("--bundle") && this.noBundle.has(bridge)) {
            return fail(
                `vconn|WARN|unix:/run/openvswitch/${bridge}.mgmt: version negotiation failed (we support version 0x05, peer supports versions 0x01, 0x04)\novs-ofctl: ${bridge}: failed to connect to socket (Broken pipe)\n`,
            );
        }
        const r = this.apply(flows, opts.stdin ?? "");
        return r ? fail(r) : ok();
    }

    /** Applies add-flows lines atomically; returns an error message or undefined. */
    private apply(flows: FakeFlow[], stdin: string): string | undefined {
        const copy = flows.map((f) => ({ ...f }));
        const lines = stdin.split("\n").filter(Boolean);
        for (let i = 0; i < lines.length; i++) {
            const [cmd, ...rest] = lines[i].split(" ");
            const f = parseFlowMod(rest.join(" "));
            if (/actions=bad/.test(lines[i])) return `ovs-ofctl: -:${i + 1}: unknown action bad`;
            const same = (g: FakeFlow) => g.table === f.table && g.priority === f.priority && g.match === f.match;
            if (cmd === "add") {
                const k = copy.findIndex(same);
                const { cookieMask: _m, ...flow } = f;
                if (k >= 0) copy[k] = flow;
                else copy.push(flow);
            } else if (cmd === "modify_strict") {
                for (const g of copy) if (same(g) && g.cookie === f.cookie) g.actions = f.actions;
            } else if (cmd === "delete") {
                if (!f.cookieMask) throw new Error(`unscoped delete: ${lines[i]}`);
                for (let k = copy.length - 1; k >= 0; k--) if (copy[k].cookie === f.cookie) copy.splice(k, 1);
            } else return `ovs-ofctl: -:${i + 1}: unknown command ${cmd}`;
        }
        flows.splice(0, flows.length, ...copy);
        return undefined;
    }
}
