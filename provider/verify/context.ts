// What checks run on: the stack's hosts through the provider's SSH executor (pooled, pinned host
// keys, per-command timeouts, channel limit) and its guests over their command channels, reached
// through the same connections. Also the helpers several checks share.
import { Connection, ExecOptions, ExecResult, SshPool } from "../ssh/executor";
import { guestExec, GuestExecResult, GuestSocket, hostSocket } from "../guest/channel";
import { Argv } from "../ssh/quote";
import type { VerifyContext } from "./checks/check";
import type { Machine, StackOutputs, TraceStep } from "./plan";

export class StackContext implements VerifyContext {
    private sockets = new Map<string, GuestSocket>();

    constructor(
        readonly o: StackOutputs,
        private readonly pool: SshPool,
        readonly leaseWaitMs: number,
    ) {}

    private conn(name: string): Connection {
        const h = this.o.hosts.find((x) => x.name === name);
        if (!h) throw new Error(`unknown host ${name}`);
        const { role: _r, tunnelIp: _t, ...c } = h; // the way in as the stack's resources use it: user, key, agent, become, bastion
        return c;
    }

    machine(id: string): Machine {
        const m = this.o.machines.find((x) => x.id === id);
        if (!m) throw new Error(`unknown machine ${id}`);
        return m;
    }

    network(name: string): StackOutputs["networks"][number] {
        const n = this.o.networks.find((x) => x.name === name);
        if (!n) throw new Error(`unknown network ${name}`);
        return n;
    }

    host(name: string, argv: Argv, opts?: ExecOptions): Promise<ExecResult> {
        return this.pool.run(this.conn(name), argv, opts);
    }

    guestSocket(vm: Machine): GuestSocket {
        if (vm.kind === "netns" || !vm.channelSocket) throw new Error(`${vm.id} is a namespace guest: it has no command channel`);
        let s = this.sockets.get(vm.id);
        if (!s) {
            s = hostSocket(this.pool, this.conn(vm.host), vm.channelSocket, vm.id);
            this.sockets.set(vm.id, s);
        }
        return s;
    }

    async guest(vm: Machine, argv: string[], timeoutMs = 15_000): Promise<GuestExecResult> {
        if (vm.kind === "netns") {
            // A namespace guest is its host's tools in its own network namespace.
            const r = await this.host(vm.host, ["ip", "netns", "exec", vm.namespace!, ...argv], { timeoutMs });
            return { stdout: r.stdout, stderr: r.stderr, code: r.code };
        }
        return guestExec(this.guestSocket(vm), argv, { timeoutMs });
    }

    async trace(steps: TraceStep[]): Promise<string[]> {
        const out: string[] = [];
        for (const s of steps) {
            let flow = s.flow;
            for (const [, port] of flow.matchAll(/\{port:([A-Za-z0-9_.-]+)\}/g)) {
                flow = flow.replace(`{port:${port}}`, (await ofportOf(this, s.host, port)) || "NONE");
            }
            const r = await this.host(s.host, ["ovs-appctl", "ofproto/trace", s.bridge, flow]);
            out.push(
                `--- ${s.host} ${s.bridge}: ofproto/trace ${flow}`,
                ...(r.stdout + r.stderr)
                    .trimEnd()
                    .split("\n")
                    .map((l) => `    ${l}`),
            );
        }
        return out;
    }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The OpenFlow port number of OVS interface `port` on `host` ("" when there is none). */
export async function ofportOf(ctx: VerifyContext, host: string, port: string): Promise<string> {
    return (await ctx.host(host, ["ovs-vsctl", "get", "Interface", port, "ofport"])).stdout.trim();
}

/**
 * The device VXLAN leaves a host by: the route to a peer's tunnel address; when that is an OVS
 * bridge (userspace tunnelling through br-phy), the bridge's physical port.
 */
async function underlayDevice(ctx: VerifyContext, host: string): Promise<string> {
    const peer = ctx.o.hosts.find((h) => h.name !== host);
    if (!peer) throw new Error("one host: no underlay");
    const dev = (await ctx.host(host, ["ip", "route", "get", peer.tunnelIp])).stdout.match(/ dev (\S+)/)?.[1];
    if (!dev) throw new Error(`${host}: no route to ${peer.tunnelIp}`);
    if ((await ctx.host(host, ["ovs-vsctl", "br-exists", dev])).code !== 0) return dev;
    const ports = (await ctx.host(host, ["ovs-vsctl", "list-ports", dev])).stdout.split("\n").filter(Boolean);
    for (const p of ports) if ((await ctx.host(host, ["ovs-vsctl", "get", "Interface", p, "type"])).stdout.trim() === '""') return p;
    return dev;
}

/** VXLAN on a host's underlay (outer and inner headers, one string per packet) while `during` runs. */
export async function captureVxlan(ctx: VerifyContext, host: string, during: () => Promise<unknown>): Promise<string[]> {
    const dev = await underlayDevice(ctx, host);
    // --preserve-status: tcpdump ends on the TERM with 0; timeout's own 124 would read as the
    // executor's timeout
    const cap = ctx.host(host, ["timeout", "--preserve-status", "5", "tcpdump", "-i", dev, "-nn", "-e", "-l", "-T", "vxlan", "udp dst port 4789"]);
    await sleep(800); // tcpdump attaches
    await during();
    const out = (await cap).stdout;
    return out.split(/\n(?=\d\d:\d\d:\d\d\.)/).filter((l) => l.includes("vni"));
}
