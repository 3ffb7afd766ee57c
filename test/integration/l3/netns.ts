// Test "VMs" on a lab host: network namespaces with a tagged OVS internal port, and traffic checks.
import { hostCheck, hostSh } from "../../helpers/lab";

export interface Vm {
    ns: string;
    port: string;
    tag: number;
    mac: string;
    ip: string;
    gw: string;
}

/** A "VM": its own namespace with a tagged OVS internal port, MAC, address and default route. */
export function addVm(host: string, bridge: string, vm: Vm): void {
    hostCheck(
        host,
        [
            "ns=$1 port=$2 br=$3 tag=$4 mac=$5 ip=$6 gw=$7",
            'ip netns add "$ns" && ip -n "$ns" link set lo up',
            'ovs-vsctl --timeout=10 add-port "$br" "$port" tag="$tag" -- set Interface "$port" type=internal',
            'ip link set dev "$port" netns "$ns"',
            'ip -n "$ns" link set dev "$port" address "$mac" mtu 1450',
            'ip -n "$ns" addr add "$ip/24" dev "$port"',
            'ip -n "$ns" link set dev "$port" up',
            'ip netns exec "$ns" ethtool -K "$port" tx off >/dev/null',
            'ip -n "$ns" route add default via "$gw"',
        ].join(" && "),
        vm.ns,
        vm.port,
        bridge,
        String(vm.tag),
        vm.mac,
        vm.ip,
        vm.gw,
    );
}

/** ICMP echo from one namespace to an address (1 s wait, 3 tries). */
export function ping(host: string, ns: string, ip: string): boolean {
    return hostSh(host, 'ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null || ip netns exec "$1" ping -c 2 -W 1 "$2" >/dev/null', ns, ip).code === 0;
}

/**
 * 1 MiB over TCP from one namespace to another (python3 on the host): with checksum offload left
 * on on a port the userspace datapath reads, ping works and TCP carries nothing.
 */
const SERVER =
    "import socket,sys\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',int(sys.argv[1])));s.listen(1);s.settimeout(8)\n" +
    "c,_=s.accept();c.settimeout(8);n=0\nwhile True:\n  b=c.recv(65536)\n  if not b: break\n  n+=len(b)\nprint(n)";
const CLIENT = "import socket,sys\nc=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=8);c.sendall(b'x'*1048576);c.close()";

export function tcp(host: string, fromNs: string, toNs: string, toIp: string, port: number): number {
    const server = SERVER;
    const client = CLIENT;
    const r = hostSh(
        host,
        'ip netns exec "$1" python3 -c "$4" "$3" >/tmp/dvrlt-tcp.$$ 2>&1 & srv=$!; sleep 0.3; ip netns exec "$2" python3 -c "$5" "$6" "$3" 2>&1; wait $srv; cat /tmp/dvrlt-tcp.$$; rm -f /tmp/dvrlt-tcp.$$',
        toNs,
        fromNs,
        String(port),
        server,
        client,
        toIp,
    );
    const n = Number(r.stdout.trim().split("\n").pop());
    return Number.isFinite(n) ? n : -1;
}

/** tcp() with the receiver on one host and the sender on another. */
export function tcpAcross(toHost: string, toNs: string, toIp: string, fromHost: string, fromNs: string, port: number): number {
    const out = `/tmp/dvrlt-tcp.${port}`;
    hostCheck(toHost, 'ip netns exec "$1" python3 -c "$2" "$3" >"$4" 2>&1 </dev/null & sleep 0.3', toNs, SERVER, String(port), out);
    hostSh(fromHost, 'ip netns exec "$1" python3 -c "$2" "$3" "$4"', fromNs, CLIENT, toIp, String(port));
    const r = hostSh(toHost, 'i=0; while [ $i -lt 50 ] && ! grep -q . "$1"; do sleep 0.1; i=$((i+1)); done; cat "$1"; rm -f "$1"', out);
    const n = Number(r.stdout.trim().split("\n").pop());
    return Number.isFinite(n) && r.stdout.trim() ? n : -1;
}
