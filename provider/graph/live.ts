// `graph`, the reading part: each host's OVS bridges and ports, links, namespaces and flows over
// the provider's SSH executor, read only. A host that cannot be read is drawn as unreachable.
import { Connection, Executor } from "../ssh/executor";
import { Argv } from "../ssh/quote";
import { GraphOutputs, HostLive, parseDomains, parseFlows, parseLinks, parseNetns, parseOvs } from "./model";

export const OVS_ARGV: Argv = [
    "ovs-vsctl",
    "--format=json",
    "--columns=name,ports",
    "list",
    "Bridge",
    "--",
    "--columns=_uuid,name,tag,interfaces",
    "list",
    "Port",
    "--",
    "--columns=_uuid,name,type,ofport,options",
    "list",
    "Interface",
];

export function connectionOf(h: GraphOutputs["hosts"][number]): Connection {
    const { role: _r, tunnelIp: _t, ...c } = h; // the way in as the stack's resources use it (verify does the same)
    return c as unknown as Connection;
}

/** `domains`: whether the state has libvirt domains on the host (hosts without libvirt are not asked). */
export async function readHost(ex: Executor, c: Connection, bridges: string[], domains = false): Promise<HostLive> {
    const run = async (argv: Argv): Promise<string> => {
        const r = await ex.run(c, argv, { timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
        return r.stdout;
    };
    try {
        const [ovs, links, netns] = await Promise.all([run(OVS_ARGV), run(["ip", "-j", "link", "show"]), run(["ip", "-j", "netns", "list"])]);
        const live: HostLive = { bridges: parseOvs(ovs), links: parseLinks(links), netns: parseNetns(netns), flows: {} };
        if (domains) live.domains = parseDomains(await run(["virsh", "-q", "-c", "qemu:///system", "list", "--name"]));
        for (const b of bridges.filter((x) => live.bridges.some((lb) => lb.name === x))) live.flows[b] = parseFlows(await run(["ovs-ofctl", "dump-flows", b]));
        return live;
    } catch (e: any) {
        return { error: String(e.message ?? e).split("\n")[0], bridges: [], links: [], netns: [], flows: {} };
    }
}
