// An EMULATION of @pulumi/command's `remote.Command`, for bench/dvr only.
//
// The real provider plugin cannot be built here: its Go module is not served by the Go module
// proxy (`go list -m -versions github.com/pulumi/pulumi-command/provider` → proxy.golang.org
// answers "403 Forbidden: This module version is not available", checked 2026-11-26). So this
// dynamic resource does per resource what remote.Command's provider does for `create`:
// dial a NEW SSH connection (its `connection` input: host, user, private key), run the one command
// in a session, collect stdout/stderr as outputs, close the connection. No host-key pinning (as
// remote.Command without `hostKey`), no retries of a refused dial, no `update`/`read` of the host
// (remote.Command does neither). `delete` runs the optional delete command the same way.
import * as pulumi from "@pulumi/pulumi";

export interface RemoteCommandEmulationArgs {
    connection: pulumi.Input<{ host: pulumi.Input<string>; port?: pulumi.Input<number>; user?: pulumi.Input<string>; privateKey: pulumi.Input<string> }>;
    create: pulumi.Input<string>;
    delete?: pulumi.Input<string>;
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        const run = async (cmd: string) => {
            const { NodeSSH } = require("node-ssh");
            const ssh = new NodeSSH();
            const c = inputs.connection;
            await ssh.connect({ host: c.host, port: c.port ?? 22, username: c.user ?? "root", privateKey: c.privateKey, readyTimeout: 20000 });
            try {
                return await ssh.execCommand(cmd);
            } finally {
                ssh.dispose();
            }
        };
        const r = await run(inputs.create);
        if (r.code !== 0) throw new Error(`command exited ${r.code} on ${inputs.connection.host}: ${inputs.create}\n${r.stderr}`);
        return { id: `${inputs.connection.host}/${Math.random().toString(36).slice(2)}`, outs: { ...inputs, stdout: r.stdout, stderr: r.stderr } };
    },
    async diff(_id: string, olds: any, news: any) {
        const changed = olds.create !== news.create || olds.connection?.host !== news.connection?.host;
        return { changes: changed, replaces: changed ? ["create"] : [] };
    },
    async delete(_id: string, props: any) {
        if (!props.delete) return;
        const { NodeSSH } = require("node-ssh");
        const ssh = new NodeSSH();
        const c = props.connection;
        await ssh.connect({ host: c.host, port: c.port ?? 22, username: c.user ?? "root", privateKey: c.privateKey, readyTimeout: 20000 });
        try {
            const r = await ssh.execCommand(props.delete);
            if (r.code !== 0) throw new Error(`delete command exited ${r.code} on ${c.host}: ${props.delete}\n${r.stderr}`);
        } finally {
            ssh.dispose();
        }
    },
};

/** One step as one resource, each with its own SSH connection: see the header (an emulation). */
export class RemoteCommandEmulation extends pulumi.dynamic.Resource {
    declare readonly stdout: pulumi.Output<string>;
    declare readonly stderr: pulumi.Output<string>;
    constructor(name: string, args: RemoteCommandEmulationArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { stdout: undefined, stderr: undefined, delete: undefined, ...args }, opts, "bench", "RemoteCommandEmulation");
    }
}
