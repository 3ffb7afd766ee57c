// The seed's Part 2 with the resources, in-process, on the lab: a guest behind tap → qbr → qvb=qvo
// → br-int (tag 1) gets 192.168.10.168/24 from the DHCP agent's dnsmasq
//   case A: dnsmasq on the guest's host (server-233);
//   case B: guest on server-64, dnsmasq on server-233, the DISCOVER crossing VXLAN through br-tun
//           with the seed's flows (installed by hand with ovs-ofctl add-flows).
// Bridges are private to the test (dvrlt-…), so the lab's own br-int/br-tun stay untouched.
import { strict as assert } from "assert";
import { NodeSSH } from "node-ssh";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { guestExec, GuestSocket, waitForAgent } from "../../../provider/guest/channel";
import { guestOnHost, guestSocket, hostCheck, hostSh, hostShInput, LAB, labIsUp, labProviderConfig, labSsh, requireLab, waitFor } from "../../helpers/lab";

const id = process.pid % 10000;
const OWNER = "dvrlab:itest/dhcp";
const MAC = "fa:16:3e:ff:aa:66";
const IP = "192.168.10.168";
const SERVER = "192.168.10.2/24";
const VNI = "0x813";

interface Made {
    kind: string;
    outs: any;
}

/** Creates through the providers, remembering what to delete (in reverse) whatever happens. */
class Stack {
    made: Made[] = [];
    async create(kind: string, inputs: any): Promise<any> {
        const r = await provider(kind, 1).create({ owner: OWNER, ...inputs });
        this.made.push({ kind, outs: r.outs });
        return r.outs;
    }
    async destroy(): Promise<void> {
        const errors: string[] = [];
        for (const m of this.made.reverse()) {
            await provider(m.kind, 1)
                .delete("x", m.outs)
                .catch((e: Error) => errors.push(`${m.kind}: ${e.message}`));
        }
        this.made = [];
        if (errors.length) throw new Error(errors.join("\n"));
    }
}

/** The VM side of the seed (Part 1): qbr, qvb=qvo, qvo on br-int with tag 1, the domain on qbr. */
function vmChain(host: string, tag: string) {
    return {
        qbr: `dvrlt-qbr${tag}`,
        qvb: `dvrlt-qvb${tag}`,
        qvo: `dvrlt-qvo${tag}`,
        tap: `dvrlt-tap${tag}`,
        domain: `dvrlt-${tag}`,
        host,
    };
}

async function guestLeased(sock: GuestSocket, t0: number) {
    await waitForAgent(sock, 60_000);
    await waitFor("the guest's lease", 60_000, async () => (await guestExec(sock, ["test", "-e", "/run/dvrlab-lease"])).code === 0 || undefined, 50);
    return Date.now() - t0;
}

describe("DHCP through the resources (seed Part 2), guests on the lab", function () {
    this.timeout(300_000);
    const numbers: Record<string, string> = {};
    const sshs: NodeSSH[] = [];

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
    });

    after(() => {
        for (const s of sshs) s.dispose();
        if (labIsUp) closeExecutor();
        if (Object.keys(numbers).length) console.log(`      numbers: ${JSON.stringify(numbers)}`);
    });

    async function checkGuest(host: string, socketPath: string, serverLog: string, serverIp: string, port: string) {
        const ssh = await labSsh(host);
        sshs.push(ssh);
        const sock = guestSocket(ssh, socketPath, host);
        const addr = await guestExec(sock, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"]);
        assert.match(addr.stdout, /inet 192\.168\.10\.168\/24 /, "eth0 holds the seed's address (read inside the guest)");
        assert.equal((await guestExec(sock, ["cat", "/sys/class/net/eth0/mtu"])).stdout.trim(), "1450", "MTU from option 26");
        assert.match(hostCheck(serverIp, 'cat "$1"', serverLog), new RegExp(`DHCPACK\\(${port}\\) ${IP.replace(/\./g, "\\.")} ${MAC}`));
        return sock;
    }

    it("case A: dnsmasq on the guest's host (server-233)", async () => {
        const host = LAB["server-233"];
        const c = vmChain(host, `a${id}`);
        const conn = { host };
        const bi = `dvrlt-bi${id}`;
        const net = `dvrlt-a${id}`;
        const guest = await guestOnHost(host);
        const s = new Stack();
        try {
            const t0 = Date.now();
            // Each phase only needs the one before it (what Pulumi would run in parallel).
            await Promise.all([
                s.create("OvsBridge", { connection: conn, name: bi, failMode: "standalone" }), // br-int: priority=1,actions=NORMAL
                s.create("LinuxBridge", { connection: conn, name: c.qbr }),
            ]);
            const [, server] = await Promise.all([
                s.create("VethPair", { connection: conn, name: c.qvb, peer: c.qvo, nameEnd: { promisc: true, master: c.qbr } }),
                s.create("DhcpServer", { connection: conn, network: net, bridge: bi, tag: 1, address: SERVER }),
            ]);
            const [, , dom] = await Promise.all([
                s.create("OvsPort", { connection: conn, bridge: bi, name: c.qvo, tag: 1 }),
                s.create("DhcpLease", { connection: conn, network: net, serverAddress: SERVER, mac: MAC, hostname: "cirros", ip: IP }),
                s.create("LibvirtDomain", {
                    connection: conn,
                    name: c.domain,
                    memoryMiB: guest.memoryMiB,
                    boot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
                    disk: { base: guest.base },
                    interfaces: [{ bridge: c.qbr, tap: c.tap, mac: MAC }],
                }),
            ]);
            const created = Date.now() - t0;
            const ssh = await labSsh(host);
            sshs.push(ssh);
            const leased = await guestLeased(guestSocket(ssh, dom.channelSocketPath, "server-233"), t0);
            numbers.caseA = `resources created in ${created} ms; guest holds its lease ${leased} ms after the first create`;
            await checkGuest(host, dom.channelSocketPath, server.logFile, host, server.portName);
        } finally {
            await s.destroy();
        }
        assert.equal(hostSh(host, 'virsh -q -c qemu:///system list --all --name | grep -cx "$1"', c.domain).stdout.trim(), "0");
    });

    it("case B: guest on server-64, dnsmasq on server-233, DISCOVER across VXLAN (seed's br-tun flows)", async () => {
        const h233 = LAB["server-233"];
        const h64 = LAB["server-64"];
        const c = vmChain(h64, `b${id}`);
        const net = `dvrlt-b${id}`;
        const bi = `dvrlt-bi${id}`;
        const bt = `dvrlt-bt${id}`;
        const pi = `dvrlt-pi${id}`; // patch-tun on br-int
        const pt = `dvrlt-pt${id}`; // patch-int on br-tun (OpenFlow port 1)
        const vx = `dvrlt-vx${id}`; // the VXLAN port to the other host (OpenFlow port 2)
        // A UDP port of our own: the lab's br-tun (if any) keeps 4789.
        const dstPort = 20000 + id;
        const guest = await guestOnHost(h64);
        const s = new Stack();
        const flows = [
            "table=0,priority=1,in_port=1,actions=resubmit(,1)",
            "table=0,priority=1,in_port=2,actions=resubmit(,4)",
            "table=1,priority=0,actions=resubmit(,2)",
            "table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)",
            "table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)",
            `table=22,dl_vlan=1,actions=strip_vlan,set_tunnel:${VNI},output:2`,
            `table=4,priority=1,tun_id=${VNI},actions=mod_vlan_vid:1,resubmit(,9)`,
            "table=9,priority=0,actions=resubmit(,10)",
            "table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1",
        ];
        try {
            const t0 = Date.now();
            // Both hosts: br-int (secure, plus the seed's NORMAL flow), br-tun, patch pair, VXLAN to the other.
            await Promise.all(
                [
                    [h233, h64],
                    [h64, h233],
                ].map(async ([host, remote]) => {
                    const conn = { host };
                    await Promise.all([s.create("OvsBridge", { connection: conn, name: bi }), s.create("OvsBridge", { connection: conn, name: bt })]);
                    await Promise.all([
                        s.create("OvsPort", { connection: conn, bridge: bi, name: pi, type: "patch", options: { peer: pt } }),
                        s.create("OvsPort", { connection: conn, bridge: bt, name: pt, type: "patch", ofportRequest: 1, options: { peer: pi } }),
                        s.create("OvsPort", {
                            connection: conn,
                            bridge: bt,
                            name: vx,
                            type: "vxlan",
                            ofportRequest: 2,
                            options: { remoteIp: remote, key: "flow", dstPort },
                        }),
                    ]);
                    hostCheck(host, 'ovs-ofctl add-flow "$1" priority=1,actions=NORMAL', bi);
                    assert.equal(hostShInput(host, flows.join("\n") + "\n", 'ovs-ofctl add-flows "$1" -', bt).code, 0);
                }),
            );
            await s.create("LinuxBridge", { connection: { host: h64 }, name: c.qbr });
            const [, server] = await Promise.all([
                s.create("VethPair", { connection: { host: h64 }, name: c.qvb, peer: c.qvo, nameEnd: { promisc: true, master: c.qbr } }),
                s.create("DhcpServer", { connection: { host: h233 }, network: net, bridge: bi, tag: 1, address: SERVER }),
            ]);
            const [, , dom] = await Promise.all([
                s.create("OvsPort", { connection: { host: h64 }, bridge: bi, name: c.qvo, tag: 1 }),
                s.create("DhcpLease", { connection: { host: h233 }, network: net, serverAddress: SERVER, mac: MAC, hostname: "cirros", ip: IP }),
                s.create("LibvirtDomain", {
                    connection: { host: h64 },
                    name: c.domain,
                    memoryMiB: guest.memoryMiB,
                    boot: { kernel: guest.kernel, initrd: guest.initrd, cmdline: guest.cmdline },
                    disk: { base: guest.base },
                    interfaces: [{ bridge: c.qbr, tap: c.tap, mac: MAC }],
                }),
            ]);
            const created = Date.now() - t0;
            const ssh = await labSsh(h64);
            sshs.push(ssh);
            const leased = await guestLeased(guestSocket(ssh, dom.channelSocketPath, "server-64"), t0);
            numbers.caseB = `resources created in ${created} ms; guest holds its lease ${leased} ms after the first create`;
            await checkGuest(h64, dom.channelSocketPath, server.logFile, h233, server.portName);
            // It crossed the tunnel: server-233's br-tun learned the guest's MAC from VXLAN (table 10 → 20).
            assert.match(hostCheck(h233, 'ovs-ofctl dump-flows "$1" table=20', bt), new RegExp(`dl_dst=${MAC}`));
        } finally {
            await s.destroy();
        }
    });
});
