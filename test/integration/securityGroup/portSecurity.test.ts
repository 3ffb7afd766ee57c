// Neutron's port security with traffic, on a lab host whose FORWARD policy is DROP (as Docker, ufw
// and firewalld leave it): three namespace "VMs" plugged as Nova's hybrid plug does (eth0 = tap in
// its own qbr, qvb=qvo veth, qvo on an OVS bridge with NORMAL), a dnsmasq in a namespace on that
// bridge as the network's DHCP server, and each VM's SecurityGroup through the provider.
//   a: gets its address by DHCP; ingress ICMP from b (a member rule: b's /32); egress unset (all)
//   b: static; ingress ICMP from a; egress [] (nothing new: only DHCP and replies)
//   r: static, runs a rogue DHCP server (busybox udhcpd); ingress udp 67, egress unset (all)
// The host's FORWARD policy is set to DROP here and put back in `after` (the run holds the lab lock).
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { addTestBridge, delTestBridge, hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-68"];
const tag = process.pid % 10000;
const BR = `dvrlt-fb${tag}`;
const OWNER = "dvrlab:itest/portsec";
const DHCP = { ns: `dvrlt-fd${tag}`, port: `dvrlt-fdp${tag}`, mac: "fa:16:3e:77:00:02", ip: "10.77.0.2" };
const FILES = `/tmp/dvrlt-portsec-${tag}`;

interface Guest {
    key: string;
    ns: string;
    tap: string;
    qbr: string;
    qvb: string;
    qvo: string;
    mac: string;
    ip: string;
}
const guest = (key: string, mac: string, ip: string): Guest => ({
    key,
    ns: `dvrlt-g${key}${tag}`,
    tap: `dvrlt-t${key}${tag}`,
    qbr: `dvrlt-q${key}${tag}`,
    qvb: `dvrlt-b${key}${tag}`,
    qvo: `dvrlt-o${key}${tag}`,
    mac,
    ip,
});
const A = guest("a", "fa:16:3e:77:00:11", "10.77.0.11");
const B = guest("b", "fa:16:3e:77:00:12", "10.77.0.12");
const R = guest("r", "fa:16:3e:77:00:13", "10.77.0.13");
const GUESTS = [A, B, R];
/** r's own group lets DHCP requests in (its owner wants to run a server); its egress is all, as Neutron's default. */
const RULES_R = { ingress: [{ protocol: "udp", port: 67 }] };

/** The guest's NIC (eth0 in its namespace, host end = tap) in its own qbr, linked by qvb=qvo to the OVS bridge. */
function addGuest(g: Guest, address: boolean): void {
    hostCheck(
        HOST,
        [
            "ns=$1 tap=$2 qbr=$3 qvb=$4 qvo=$5 mac=$6 ip=$7 br=$8 addr=$9",
            'ip netns add "$ns" && ip -n "$ns" link set lo up',
            'ip link add name "$tap" type veth peer name eth0 netns "$ns"',
            'ip -n "$ns" link set eth0 address "$mac" mtu 1450',
            'ip link add name "$qbr" type bridge nf_call_iptables 1 && ip link set "$qbr" up',
            'ip link add name "$qvb" type veth peer name "$qvo"',
            'ip link set "$tap" master "$qbr" && ip link set "$qvb" master "$qbr"',
            'ovs-vsctl --timeout=10 add-port "$br" "$qvo" tag=1',
            // OVS's userspace datapath forwards unfinished checksums: offload off on every veth end
            'for d in "$tap" "$qvb" "$qvo"; do ethtool -K "$d" tx off >/dev/null && ip link set "$d" mtu 1450 up || exit 1; done',
            'ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null',
            'if [ "$addr" = yes ]; then ip -n "$ns" addr add "$ip/24" dev eth0; fi',
            'ip -n "$ns" link set eth0 up',
        ].join(" && "),
        g.ns,
        g.tap,
        g.qbr,
        g.qvb,
        g.qvo,
        g.mac,
        g.ip,
        BR,
        address ? "yes" : "no",
    );
}

/**
 * One DHCP exchange from a guest (busybox udhcpc, 3 DISCOVERs 1 s apart, no script): the server
 * and address of the lease it got, or undefined. `broadcast`: ask for broadcast replies (-B).
 */
function dhcp(g: Guest, broadcast = false): { ip: string; server: string } | undefined {
    const r = hostSh(HOST, 'ip netns exec "$1" busybox udhcpc -i eth0 -f -q -n -t 3 -T 1 -s /bin/true $2 2>&1', g.ns, broadcast ? "-B" : "");
    const m = r.stdout.match(/lease of (\S+) obtained from (\S+),/);
    return m ? { ip: m[1], server: m[2] } : undefined;
}

/** ICMP echo from a guest: 2 tries, 1 s each (the first may wait for ARP); `from` = ping -I. */
function ping(g: Guest, to: string, from?: string): boolean {
    return hostSh(HOST, 'ip netns exec "$1" ping -c 2 -W 1 ${3:+-I "$3"} "$2" >/dev/null', g.ns, to, from ?? "").code === 0;
}

/** The packet counter of one rule, found by its spec as `iptables -S` prints it (counters left out). */
function counter(chain: string, spec: string): number {
    const lines = hostCheck(HOST, 'iptables -w -v -S "$1"', chain).trim().split("\n");
    for (const l of lines) {
        const m = l.match(/ -c (\d+) \d+/);
        if (m && l.replace(m[0], "") === spec) return Number(m[1]);
    }
    throw new Error(`no rule ${spec} in ${chain}:\n${lines.join("\n")}`);
}

describe("SecurityGroup port security with traffic, host FORWARD policy DROP", function () {
    this.timeout(120_000);
    const p = () => provider("SecurityGroup", 1);
    const made: any[] = [];
    let policy = "";

    const sgInputs = (g: Guest, rules: { ingress: any[]; egress?: any[] }) => ({
        connection: { host: HOST },
        owner: OWNER,
        portId: `dvrlt-sg${g.key}${tag}`,
        tap: g.tap,
        ip: g.ip,
        mac: g.mac,
        ...rules,
    });
    async function createSg(g: Guest, rules: { ingress: any[]; egress?: any[] }) {
        const c = await p().check({}, sgInputs(g, rules));
        assert.equal(c.failures, undefined, JSON.stringify(c.failures));
        const r = await p().create(c.inputs);
        made.push(r.outs);
        return r.outs;
    }

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        policy = hostCheck(HOST, "iptables -w -S FORWARD | sed -n 's/^-P FORWARD //p'").trim();
        assert.match(policy, /^(ACCEPT|DROP)$/);
        addTestBridge(HOST, BR);
        hostCheck(HOST, 'ovs-ofctl add-flow "$1" actions=NORMAL', BR);
        for (const g of GUESTS) addGuest(g, g !== A);
        hostCheck(
            HOST,
            [
                "ns=$1 port=$2 mac=$3 ip=$4 br=$5 f=$6 amac=$7 aip=$8",
                'ip netns add "$ns"',
                'ovs-vsctl --timeout=10 add-port "$br" "$port" tag=1 -- set Interface "$port" type=internal',
                'ip link set dev "$port" netns "$ns"',
                'ip -n "$ns" link set dev "$port" address "$mac" mtu 1450',
                'ip netns exec "$ns" ethtool -K "$port" tx off >/dev/null',
                'ip -n "$ns" addr add "$ip/24" dev "$port" && ip -n "$ns" link set dev "$port" up',
                // static: only a's MAC gets an address, as Neutron's dnsmasq
                'ip netns exec "$ns" dnsmasq --no-hosts --no-resolv --conf-file=/dev/null --port=0 --pid-file="$f.dnsmasq.pid" --dhcp-leasefile="$f.leases" --interface="$port" --except-interface=lo --bind-interfaces --dhcp-range=10.77.0.0,static,255.255.255.0,600s --dhcp-host="$amac,$aip"',
            ].join(" && "),
            DHCP.ns,
            DHCP.port,
            DHCP.mac,
            DHCP.ip,
            BR,
            FILES,
            A.mac,
            A.ip,
        );
        hostCheck(HOST, "iptables -w -P FORWARD DROP");
    });

    after(async () => {
        if (!labIsUp) return;
        if (policy) hostSh(HOST, 'iptables -w -P FORWARD "$1"', policy);
        for (const outs of made.reverse())
            await p()
                .delete("x", outs)
                .catch((e: Error) => console.error(e.message));
        hostSh(HOST, 'for f in "$1".*.pid; do [ -e "$f" ] && kill "$(cat "$f")"; done; rm -f "$1".*', FILES);
        for (const g of [...GUESTS, { ns: DHCP.ns, tap: "", qbr: "", qvb: "" }]) {
            hostSh(HOST, 'ip netns del "$1"; for d in "$2" "$3" "$4"; do [ -n "$d" ] && ip link del dev "$d"; done; true', g.ns, g.tap, g.qbr, g.qvb);
        }
        delTestBridge(HOST, BR);
        closeExecutor();
    });

    it("without its security group a guest gets no lease: the host's FORWARD DROP is in force", () => {
        assert.equal(hostCheck(HOST, "iptables -w -S FORWARD | head -1").trim(), "-P FORWARD DROP");
        assert.equal(dhcp(A), undefined);
    });

    it("with its security group the guest gets its lease from the network's DHCP server", async () => {
        await createSg(A, { ingress: [{ protocol: "icmp", remoteCidr: `${B.ip}/32` }] });
        await createSg(B, { ingress: [{ protocol: "icmp", remoteCidr: `${A.ip}/32` }], egress: [] });
        await createSg(R, RULES_R);
        assert.deepEqual(dhcp(A), { ip: "10.77.0.11", server: "10.77.0.2" });
        hostCheck(HOST, 'ip -n "$1" addr add 10.77.0.11/24 dev eth0', A.ns);
    });

    it("allowed pings pass; what the groups do not allow is dropped, and the chains' DROP counts it", () => {
        assert.ok(ping(A, B.ip), "a → b (b allows ICMP from a; b's reply is established traffic)");
        const bIn = `-A dvrl-i-dvrlt-sgb${tag} -j DROP`;
        const bOut = `-A dvrl-o-dvrlt-sgb${tag} -j DROP`;
        const [in0, out0] = [counter(`dvrl-i-dvrlt-sgb${tag}`, bIn), counter(`dvrl-o-dvrlt-sgb${tag}`, bOut)];
        assert.ok(!ping(R, B.ip), "r → b: b allows ICMP from a only");
        assert.ok(counter(`dvrl-i-dvrlt-sgb${tag}`, bIn) >= in0 + 2, "b's ingress DROP counted r's echoes");
        assert.ok(!ping(B, A.ip), "b → a: b's egress allows nothing new");
        assert.ok(counter(`dvrl-o-dvrlt-sgb${tag}`, bOut) >= out0 + 2, "b's egress DROP counted b's echoes");
    });

    it("a guest sending from a spoofed source IP is dropped by its source chain (counter)", () => {
        const chain = `dvrl-s-dvrlt-sga${tag}`;
        const spec = `-A ${chain} -j DROP`;
        hostCheck(HOST, 'ip -n "$1" addr add 10.77.0.99/32 dev eth0', A.ns);
        const before = counter(chain, spec);
        assert.ok(!ping(A, B.ip, "10.77.0.99"), "a → b from 10.77.0.99");
        assert.ok(counter(chain, spec) >= before + 2, "a's source chain dropped both echoes");
        assert.ok(ping(A, B.ip), "from its own address a still reaches b");
        assert.equal(counter(chain, spec), before + 2, "and those pass the source check");
    });

    it("a guest running a DHCP server cannot answer a peer's DISCOVER: its OFFERs are counted by the egress DROP", async () => {
        const conf = [
            `start 10.77.0.200`,
            `end 10.77.0.210`,
            `interface eth0`,
            `lease_file ${FILES}.udhcpd.leases`,
            `pidfile ${FILES}.udhcpd.pid`,
            `opt subnet 255.255.255.0`,
            `opt lease 600`,
        ].join("\n");
        hostCheck(
            HOST,
            'printf "%s\\n" "$2" >"$3.udhcpd.conf" && touch "$3.udhcpd.leases" && ip netns exec "$1" busybox udhcpd -a 100 "$3.udhcpd.conf"',
            R.ns,
            conf,
            FILES,
        );
        const chain = `dvrl-o-dvrlt-sgr${tag}`;
        const spec = `-A ${chain} -p udp -m udp --sport 67 --dport 68 -j DROP`;
        const before = counter(chain, spec);
        // b's MAC is unknown to the network's dnsmasq (static): only the rogue would answer
        assert.equal(dhcp(B, true), undefined, "b gets no lease");
        assert.ok(counter(chain, spec) >= before + 1, "r's OFFERs were dropped on its egress");

        // The rule is what stops it: without it the rogue's OFFER reaches b (udhcpd ARP-pings an address 100 ms
        // before offering it); read reports the chain broken, update restores it.
        hostCheck(HOST, 'iptables -w -D "$1" -p udp -m udp --sport 67 --dport 68 -j DROP', chain);
        assert.deepEqual(dhcp(B, true)?.server, R.ip, "without the rule b takes the rogue's lease");
        const outs = made.find((o) => o.portId === `dvrlt-sgr${tag}`);
        const r = await p().read("x", outs);
        assert.equal(r.inputs.enforcement, "broken: egress chain missing or edited by hand");
        await p().update("x", r.props, (await p().check({}, sgInputs(R, RULES_R))).inputs);
        const again = counter(chain, spec);
        assert.equal(dhcp(B, true), undefined, "with the rule back b gets no lease");
        assert.ok(counter(chain, spec) >= again + 1);
    });
});
