// bench/dvr: the seed's L2 lab for N VM attachments, as a topology for the dvrlab stack and as the
// seed's hand commands (bash over one SSH connection per host, or one emulated remote.Command per
// command). Both build the same end state: same bridges, ports, flows (same cookies), iptables
// chains, dnsmasq, leases and namespace guests; bench/dvr.ts compares them after each build.
import { addLine, flowCookie } from "../../provider/flowEntry/planner";
import { brInt, brTun } from "../../provider/flows";
import type { FlowSpec } from "../../provider/flowEntry/resource";
import { chainRules, chains, jumps } from "../../provider/securityGroup/planner";
import { dnsmasqArgs } from "../../provider/dhcpServer/planner";
import { dhcpServerSchema, namespaceOf, portOf } from "../../provider/dhcpServer/schema";
import { dhcpFiles } from "../../provider/host/paths";
import { hostsLine, addnLine } from "../../provider/dhcpLease/planner";
import { quote } from "shell-quote";
import { parseTopology, Plan, resolve, TopologyInput } from "../../provider/network/topology";
import { PATCH_INT_OFPORT, PATCH_TUN_OFPORT, PROTOCOLS } from "../../provider/network/dvrHost";

export const PROJECT = "dvrlab-bench-dvr";
export const HOSTS = ["server-233", "server-64", "server-68"];

/** The seed's network (net1: 192.168.10.0/24, VNI 0x813, VLAN 1) with n VMs spread over the three hosts. */
export function benchTopology(underlay: string, n: number, opts: { domainPrefix?: string } = {}): TopologyInput {
    return {
        hosts: HOSTS.map((h, i) => ({ name: h, address: `${underlay}.${h.split("-")[1]}`, ...(i === 0 ? { role: "network" as const } : {}) })),
        networks: [{ name: "net1", cidr: "192.168.10.0/24", vni: 0x813, vlan: 1 }],
        securityGroups: { icmp: { ingress: [{ protocol: "icmp" }] } },
        vms: Array.from({ length: n }, (_, k) => ({
            id: `v${k + 1}`,
            host: HOSTS[k % HOSTS.length],
            network: "net1",
            mac: `fa:16:3e:00:01:${(k + 1).toString(16).padStart(2, "0")}`,
            ip: `192.168.10.${k + 10}`,
            securityGroup: "icmp",
        })),
        ...(opts.domainPrefix ? { domainPrefix: opts.domainPrefix } : {}),
    };
}

export const guestNamespace = (vmId: string) => `vm-${vmId}`;

export interface Step {
    name: string;
    cmd: string;
    /** One of the namespace guest's steps (replaced by a libvirt domain's in the VM run). */
    guest?: boolean;
}
export interface Chain {
    key: string;
    host: string;
    /** Chains whose last step must be done first (ordering as a person would follow it). */
    after: string[];
    steps: Step[];
}

const sh = (...argv: string[]) => quote(argv);
// brctl (bridge-utils) is not installed on this machine: each of the seed's brctl commands is its
// one-command iproute2 equivalent (addbr, setfd, stp, addif, delbr).
const OFCTL_O = "OpenFlow13,OpenFlow14";

/**
 * The seed's commands, one per step, per host: base (bridges, patch ports, VXLAN ports, br-int and
 * br-tun flows), the DHCP agent (namespace, port, dnsmasq), per VM the port chain, security group,
 * anti-spoofing flows and the namespace guest, and per VM the two lease lines + SIGHUP.
 * Flow text and cookies come from the same intents and names as the stack (so dumps compare equal).
 */
export function handChains(topology: TopologyInput, stack: string): { plan: Plan; chains: Chain[] } {
    const plan = resolve(parseTopology(topology));
    const cookie = (name: string) => flowCookie(PROJECT, stack, name);
    const addFlow = (bridge: string, name: string, spec: FlowSpec): Step => ({
        name: `flow ${name}`,
        cmd: sh("ovs-ofctl", "-O", OFCTL_O, "add-flow", bridge, addLine({ cookie: cookie(name), ...spec } as any).replace(/^add /, "")),
    });
    const out: Chain[] = [];
    const protocols = PROTOCOLS.join(",");
    for (const h of plan.hosts) {
        const n = h.name;
        const steps: Step[] = [];
        for (const br of ["br-int", "br-tun"]) {
            steps.push({
                name: `add-br ${br}`,
                cmd: sh("ovs-vsctl", "add-br", br, "--", "set", "Bridge", br, "datapath_type=netdev", "fail_mode=secure", `protocols=${protocols}`),
            });
        }
        steps.push({
            name: "patch-tun",
            cmd: sh(
                "ovs-vsctl",
                "add-port",
                "br-int",
                "patch-tun",
                "--",
                "set",
                "Interface",
                "patch-tun",
                "type=patch",
                "options:peer=patch-int",
                `ofport_request=${PATCH_TUN_OFPORT}`,
            ),
        });
        steps.push({
            name: "patch-int",
            cmd: sh(
                "ovs-vsctl",
                "add-port",
                "br-tun",
                "patch-int",
                "--",
                "set",
                "Interface",
                "patch-int",
                "type=patch",
                "options:peer=patch-tun",
                `ofport_request=${PATCH_INT_OFPORT}`,
            ),
        });
        const tunnels = plan.tunnels.filter((t) => t.host === n);
        tunnels.forEach((t, i) => {
            steps.push({
                name: `vxlan ${t.port}`,
                cmd: sh(
                    "ovs-vsctl",
                    "add-port",
                    "br-tun",
                    t.port,
                    "--",
                    "set",
                    "Interface",
                    t.port,
                    "type=vxlan",
                    `options:remote_ip=${t.remoteIp}`,
                    `options:local_ip=${t.localIp}`,
                    "options:key=flow",
                    `ofport_request=${i + 2}`,
                ),
            });
        });
        // DvrHost's flows, by the same resource names (so the same cookies)
        const patchPort = PATCH_INT_OFPORT;
        const intFlows = Object.entries(brInt.defaultFlows()).map(([k, f]): [string, FlowSpec] => [`int-${k}`, f]);
        const tunFlows: [string, FlowSpec][] = [
            ...Object.entries(brTun.defaultFlows({ patchPort })).map(([k, f]): [string, FlowSpec] => [`tun-${k}`, f]),
            ...plan.networks.map((x): [string, FlowSpec] => [`tun-to-lv-${x.name}`, brTun.tunToLv({ vni: x.vni, vlan: x.vlan })]),
            // TunnelMesh's
            ...tunnels.map((t, i): [string, FlowSpec] => [`tun-from-${t.remote}`, brTun.fromTun({ tunPort: i + 2 })]),
            ...(tunnels.length
                ? plan.networks.map((x): [string, FlowSpec] => [
                      `tun-flood-${x.name}`,
                      brTun.floodToTun({ vlan: x.vlan, vni: x.vni, ports: tunnels.map((_, i) => i + 2) }),
                  ])
                : []),
        ];
        for (const [k, f] of intFlows) steps.push(addFlow("br-int", `${n}-${k}`, f));
        for (const [k, f] of tunFlows) steps.push(addFlow("br-tun", `${n}-${k}`, f));
        out.push({ key: `base-${n}`, host: n, after: [], steps });
    }

    // DHCP agent: per network a namespace, a tagged internal port, files, dnsmasq.
    const dhcpHost = plan.dhcpHost;
    const dhcpSteps: Step[] = [];
    for (const x of plan.networks) {
        const d = dhcpServerSchema.parse({
            connection: { host: "x" },
            owner: `dvrlab:${PROJECT}/${stack}`,
            network: x.name,
            bridge: "br-int",
            tag: x.vlan,
            address: `${x.dhcpIp}/${x.prefix}`,
        });
        const ns = namespaceOf(x.name);
        const port = portOf(d);
        const f = dhcpFiles(x.name);
        dhcpSteps.push(
            { name: `netns ${ns}`, cmd: sh("ip", "netns", "add", ns) },
            { name: `${ns} lo up`, cmd: sh("ip", "-n", ns, "link", "set", "dev", "lo", "up") },
            { name: `dhcp port ${port}`, cmd: sh("ovs-vsctl", "add-port", "br-int", port, `tag=${x.vlan}`, "--", "set", "Interface", port, "type=internal") },
            { name: `${port} to ${ns}`, cmd: sh("ip", "link", "set", "dev", port, "netns", ns) },
            { name: `${port} mtu`, cmd: sh("ip", "-n", ns, "link", "set", "dev", port, "mtu", String(d.mtu)) },
            { name: `${port} address`, cmd: sh("ip", "-n", ns, "addr", "add", d.address, "dev", port) },
            { name: `${port} up`, cmd: sh("ip", "-n", ns, "link", "set", "dev", port, "up") },
            { name: `${port} tx off`, cmd: sh("ip", "netns", "exec", ns, "ethtool", "-K", port, "tx", "off") + " >/dev/null" },
            { name: `dhcp files ${x.name}`, cmd: `mkdir -p ${sh(f.dir)} && touch ${sh(f.hosts)} ${sh(f.addnHosts)}` },
            { name: `dnsmasq ${x.name}`, cmd: sh("ip", "netns", "exec", ns, ...dnsmasqArgs(d)) },
        );
    }
    out.push({ key: "dhcp", host: dhcpHost, after: [`base-${dhcpHost}`], steps: dhcpSteps });

    for (const vm of plan.vms) {
        const net = plan.networks.find((x) => x.name === vm.network)!;
        const { qbr, qvb, qvo, tap } = vm;
        const ns = guestNamespace(vm.id);
        const sys = (k: string, v: string) => `echo ${v} > ${sh(`/sys/class/net/${qbr}/bridge/${k}`)}`;
        const sg = { portId: vm.id, tap, ingress: vm.ingress } as any;
        const c = chains(vm.id);
        const rules = chainRules(sg);
        const steps: Step[] = [
            { name: "addbr", cmd: sh("ip", "link", "add", "name", qbr, "type", "bridge") },
            { name: "setfd 0", cmd: sh("ip", "link", "set", "dev", qbr, "type", "bridge", "forward_delay", "0") },
            { name: "stp off", cmd: sh("ip", "link", "set", "dev", qbr, "type", "bridge", "stp_state", "0") },
            { name: "multicast_snooping 0", cmd: sys("multicast_snooping", "0") },
            { name: "nf_call_iptables 1", cmd: sys("nf_call_iptables", "1") },
            { name: "qbr up", cmd: sh("ip", "link", "set", "dev", qbr, "up") },
            { name: "veth", cmd: sh("ip", "link", "add", qvb, "type", "veth", "peer", "name", qvo) },
            { name: "qvb tx off", cmd: sh("ethtool", "-K", qvb, "tx", "off") + " >/dev/null" },
            { name: "qvo tx off", cmd: sh("ethtool", "-K", qvo, "tx", "off") + " >/dev/null" },
            { name: "qvb promisc", cmd: sh("ip", "link", "set", "dev", qvb, "promisc", "on") },
            { name: "addif qvb", cmd: sh("ip", "link", "set", "dev", qvb, "master", qbr) },
            { name: "qvb up", cmd: sh("ip", "link", "set", "dev", qvb, "up") },
            { name: "qvo up", cmd: sh("ip", "link", "set", "dev", qvo, "up") },
            {
                name: "add-port qvo",
                cmd: sh("ovs-vsctl", "add-port", "br-int", qvo, `tag=${vm.vlan}`, "--", "set", "Interface", qvo, `ofport_request=${vm.ofport}`),
            },
            { name: "iptables -N in", cmd: sh("iptables", "-w", "-N", c.ingress) },
            { name: "iptables -N out", cmd: sh("iptables", "-w", "-N", c.egress) },
            ...[...rules.ingress, ...rules.egress].map((r, i) => ({ name: `iptables rule ${i}`, cmd: sh("iptables", "-w", ...r.split(" ")) })),
            ...jumps(sg)
                .reverse()
                .map((j, i) => ({ name: `iptables jump ${i}`, cmd: sh("iptables", "-w", ...j.replace(/^-A FORWARD/, "-I FORWARD 1").split(" ")) })),
            ...(
                [
                    ["arp-spoof-redirect", brInt.arpSpoofRedirect({ ofport: vm.ofport })],
                    ["arp-spoof-allow", brInt.arpSpoofAllowThenMac({ ofport: vm.ofport, ip: vm.ip })],
                    ["mac-spoof-redirect", brInt.macSpoofRedirect({ ofport: vm.ofport })],
                    ["mac-spoof-allow", brInt.macSpoofAllow({ ofport: vm.ofport, mac: vm.mac })],
                ] as [string, FlowSpec][]
            ).map(([k, f]) => addFlow("br-int", `${vm.id}-${k}`, f)),
            // the "VM": a namespace whose veth's host end is the tap in qbr
            { name: "guest netns", guest: true, cmd: sh("ip", "netns", "add", ns) },
            { name: "guest lo up", guest: true, cmd: sh("ip", "-n", ns, "link", "set", "dev", "lo", "up") },
            { name: "guest veth", guest: true, cmd: sh("ip", "link", "add", "name", tap, "mtu", "1450", "type", "veth", "peer", "name", "eth0", "netns", ns) },
            { name: "tap tx off", guest: true, cmd: sh("ethtool", "-K", tap, "tx", "off") + " >/dev/null" },
            { name: "eth0 tx off", guest: true, cmd: sh("ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx", "off") + " >/dev/null" },
            { name: "eth0 mac mtu", guest: true, cmd: sh("ip", "-n", ns, "link", "set", "dev", "eth0", "address", vm.mac, "mtu", "1450") },
            { name: "eth0 address", guest: true, cmd: sh("ip", "-n", ns, "addr", "add", `${vm.ip}/${net.prefix}`, "dev", "eth0") },
            { name: "eth0 up", guest: true, cmd: sh("ip", "-n", ns, "link", "set", "dev", "eth0", "up") },
            { name: "addif tap", guest: true, cmd: sh("ip", "link", "set", "dev", tap, "master", qbr) },
            { name: "tap up", guest: true, cmd: sh("ip", "link", "set", "dev", tap, "up") },
        ];
        out.push({ key: `vm-${vm.id}`, host: vm.host, after: [`base-${vm.host}`], steps: steps.map((s) => ({ ...s, name: `${vm.id} ${s.name}` })) });
        // the seed's lease: a line in each hosts file and SIGHUP
        const f = dhcpFiles(vm.network);
        const l = { mac: vm.mac, hostname: vm.id, ip: vm.ip };
        out.push({
            key: `lease-${vm.id}`,
            host: dhcpHost,
            after: ["dhcp"],
            steps: [
                { name: `${vm.id} lease host`, cmd: `echo ${sh(hostsLine(l))} >> ${sh(f.hosts)}` },
                { name: `${vm.id} lease addn_hosts`, cmd: `echo ${sh(addnLine(l))} >> ${sh(f.addnHosts)}` },
                { name: `${vm.id} lease HUP`, cmd: `kill -HUP $(cat ${sh(f.pid)})` },
            ],
        });
    }
    return { plan, chains: out };
}

/** One bash script per host: its chains in order (base, DHCP, VMs, leases), `set -e`. */
export function hostScripts(chains: Chain[]): Map<string, string> {
    const m = new Map<string, string[]>();
    for (const c of chains) {
        if (!m.has(c.host)) m.set(c.host, ["set -e"]);
        m.get(c.host)!.push(`# ${c.key}`, ...c.steps.map((s) => s.cmd));
    }
    return new Map([...m].map(([h, l]) => [h, l.join("\n") + "\n"]));
}

/** The hand teardown, per host: guests, VM ports and chains, dnsmasq and its namespace, bridges, files. */
export function teardownScripts(plan: Plan): Map<string, string> {
    const m = new Map<string, string[]>();
    for (const h of plan.hosts) m.set(h.name, []);
    for (const vm of plan.vms) {
        const c = chains(vm.id);
        const sg = { portId: vm.id, tap: vm.tap } as any;
        m.get(vm.host)!.push(
            sh("ip", "netns", "del", guestNamespace(vm.id)),
            ...jumps(sg).map((j) => sh("iptables", "-w", ...j.replace(/^-A /, "-D ").split(" "))),
            sh("iptables", "-w", "-F", c.ingress),
            sh("iptables", "-w", "-X", c.ingress),
            sh("iptables", "-w", "-F", c.egress),
            sh("iptables", "-w", "-X", c.egress),
            sh("ip", "link", "del", vm.qvb),
            sh("ip", "link", "set", "dev", vm.qbr, "down"),
            sh("ip", "link", "del", "dev", vm.qbr),
        );
    }
    for (const x of plan.networks) {
        const f = dhcpFiles(x.name);
        m.get(plan.dhcpHost)!.push(`kill $(cat ${sh(f.pid)})`, sh("ip", "netns", "del", namespaceOf(x.name)), sh("rm", "-rf", f.dir));
    }
    for (const h of plan.hosts) m.get(h.name)!.push(sh("ovs-vsctl", "del-br", "br-int"), sh("ovs-vsctl", "del-br", "br-tun"));
    return new Map([...m].map(([h, l]) => [h, ["set -e", ...l].join("\n") + "\n"]));
}

/** The teardown without stopping at errors (after a failed or partial build). */
export function wipeScripts(plan: Plan): Map<string, string> {
    return new Map(
        [...teardownScripts(plan)].map(([h, s]) => [
            h,
            s
                .split("\n")
                .filter((l) => l !== "set -e")
                .map((l) => (l ? `${l} 2>/dev/null` : l))
                .join("\n") + "\ntrue\n",
        ]),
    );
}

/**
 * Reads back everything either way built (what a person looks at to see drift: the floor of
 * preview/refresh), and prints it normalised so two builds' end states can be compared.
 */
export const READ_BACK = [
    'for br in br-int br-tun; do echo "@@ports $br"; ovs-vsctl list-ports $br 2>/dev/null | sort;',
    '  echo "@@flows $br"; ovs-ofctl -O OpenFlow13 --no-stats --names dump-flows $br 2>/dev/null | sed -E "s/(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*,? ?//g; s/^ +//" | grep -v "table=20, hard_timeout=" | sort; done',
    'echo "@@tags"; for p in $(ovs-vsctl list-ports br-int 2>/dev/null); do echo "$p $(ovs-vsctl get Port $p tag)"; done | sort',
    'echo "@@links"; for d in /sys/class/net/*; do n=${d##*/}; case $n in qbr-*|qvb-*|qvo-*|tap-*) echo "$n master=$(basename "$(readlink $d/master 2>/dev/null)" 2>/dev/null) up=$(cat $d/operstate)";; esac; done | sort',
    'echo "@@bridges"; for b in /sys/class/net/qbr-*/bridge; do [ -d "$b" ] && echo "${b#/sys/class/net/} stp=$(cat $b/stp_state) fd=$(cat $b/forward_delay) mcs=$(cat $b/multicast_snooping) nf=$(cat $b/nf_call_iptables)"; done | sort',
    'echo "@@iptables"; iptables -w -S | grep -E "dvrl-" | sort',
    'echo "@@netns"; ip netns list | sed "s/ (id.*//" | sort',
    'echo "@@guests"; for ns in $(ip netns list | sed "s/ (id.*//" | grep "^vm-"); do echo "$ns $(ip -n $ns -br addr show dev eth0 | tr -s " " | sed "s/@if[0-9]*//") $(ip -n $ns -br link show dev eth0 | awk "{print \\$3}")"; done | sort',
    'echo "@@dhcp"; cat /var/lib/dvrlab/dhcp/*/host 2>/dev/null | sort; cat /var/lib/dvrlab/dhcp/*/addn_hosts 2>/dev/null | sort; for p in /var/lib/dvrlab/dhcp/*/pid; do [ -f "$p" ] && tr "\\0" " " < /proc/$(cat $p)/cmdline | sed "s/ *$//"; echo; done',
    "true",
].join("\n");
