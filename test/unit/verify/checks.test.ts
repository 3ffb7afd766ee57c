import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { outputsSchema, StackOutputs } from "../../../provider/verify/plan";
import { StackContext } from "../../../provider/verify/context";
import type { SshPool } from "../../../provider/ssh/executor";
import { CHECKS, checkKind, inRunOrder, listText, onlyMatcher, planChecks, selectChecks } from "../../../provider/verify/checks";

// The dev stack's outputs (Pulumi.dev.yaml: 3 hosts, net1 + net2 routed by r1, 5 VMs), as the stack exports them.
const dev: StackOutputs = outputsSchema.parse(JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/verify-outputs-dev.json"), "utf8")));

// What verify ran on the dev stack before checks became registered units, in the order they run.
const DEV_CHECKS_IN_RUN_ORDER = [
    "gateway-mac-local  server-233: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)",
    "gateway-mac-local  server-64: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)",
    "gateway-mac-local  server-68: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)",
    "dhcp  cirros holds 192.168.10.168 from DHCP",
    "dhcp  peer holds 192.168.10.10 from DHCP",
    "dhcp  vm233 holds 192.168.10.233 from DHCP",
    "dhcp  locked holds 192.168.10.68 from DHCP",
    "dhcp  web holds 192.168.20.68 from DHCP",
    "ping  ping peer → cirros (same host)",
    "ping  ping vm233 → cirros (across the tunnel)",
    "ping  ping locked → cirros (across the tunnel)",
    "ping  ping web → cirros (routed, across the tunnel)",
    "ping  ping cirros → peer (same host)",
    "ping  ping vm233 → peer (across the tunnel)",
    "ping  ping locked → peer (across the tunnel)",
    "ping  ping web → peer (routed, across the tunnel)",
    "ping  ping cirros → vm233 (across the tunnel)",
    "ping  ping peer → vm233 (across the tunnel)",
    "ping  ping locked → vm233 (across the tunnel)",
    "ping  ping web → vm233 (routed, across the tunnel)",
    "ping  locked's security group (default) has no ICMP rule: cirros → locked gets no reply",
    "ping  ping cirros → web (routed, across the tunnel)",
    "ping  ping peer → web (routed, across the tunnel)",
    "ping  ping vm233 → web (routed, across the tunnel)",
    "ping  ping locked → web (routed, same host)",
    "arp-spoof  cirros: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
    "arp-spoof  peer: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
    "arp-spoof  vm233: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
    "arp-spoof  locked: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes",
    "arp-spoof  web: ARP reply claiming 192.168.20.254 dropped at br-int table 24, its real one passes",
    "ip-spoof  cirros: echoes from 192.168.10.253 dropped by dvrl-s-cirros, its own pass",
    "ip-spoof  peer: echoes from 192.168.10.253 dropped by dvrl-s-peer, its own pass",
    "ip-spoof  vm233: echoes from 192.168.10.253 dropped by dvrl-s-vm233, its own pass",
    "ip-spoof  locked: echoes from 192.168.10.253 dropped by dvrl-s-locked, its own pass",
    "ip-spoof  web: echoes from 192.168.20.253 dropped by dvrl-s-web, its own pass",
    "routed-on-source  web → cirros is routed on web's host: on the underlay it carries cirros's network VNI and web's host DVR MAC",
    "no-gateway-arp  web's ARP for its gateway is answered on its host and never crosses a tunnel",
    "same-host-local  locked → web (two subnets, one host) never touches the underlay",
];
const line = (c: { kind: string; name: string }) => `${c.kind}  ${c.name}`;

describe("verify check registry", () => {
    it("registers the seed's seven kinds and port security's ip-spoof, each with a title, its needs and a lane", () => {
        assert.deepEqual(
            CHECKS.map((k) => k.kind),
            ["dhcp", "ping", "routed-on-source", "no-gateway-arp", "same-host-local", "gateway-mac-local", "arp-spoof", "ip-spoof"],
        );
        for (const k of CHECKS) {
            assert.ok(k.title.length > 20, `${k.kind} says what it shows`);
            assert.ok(k.needs.length > 0, `${k.kind} names the outputs it reads`);
        }
        assert.throws(() => checkKind("nope"), /unknown check kind nope/);
    });

    it("plans today's 38 checks on the dev stack, gateway MACs first and underlay captures last", () => {
        const checks = planChecks(dev);
        assert.equal(checks.length, 38);
        assert.deepEqual(inRunOrder(checks).map(line), DEV_CHECKS_IN_RUN_ORDER);
    });

    it("a kind whose needed outputs are absent plans nothing: no router, no L3 checks", () => {
        const { router: _, ...noRouter } = dev;
        const kinds = new Map<string, number>();
        for (const c of planChecks(noRouter)) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        // net2's web has no same-network peer: only net1's 4 VMs ping each other
        assert.deepEqual(Object.fromEntries(kinds), { dhcp: 5, ping: 10, "arp-spoof": 5, "ip-spoof": 5 });
    });

    it("lanes: leases all at once, pings one at a time per source, counters and captures one at a time", () => {
        const lanes = (kind: string) =>
            new Set(
                planChecks(dev)
                    .filter((c) => c.kind === kind)
                    .map((c) => checkKind(kind).lane(c)),
            );
        assert.equal(lanes("dhcp").size, 5);
        assert.deepEqual([...lanes("ping")].sort(), ["cirros", "locked", "peer", "vm233", "web"]);
        assert.deepEqual([...lanes("arp-spoof")], ["table 24"]);
        assert.deepEqual([...lanes("ip-spoof")].sort(), ["cirros", "locked", "peer", "vm233", "web"]);
        assert.deepEqual([...new Set([...lanes("routed-on-source"), ...lanes("no-gateway-arp"), ...lanes("same-host-local")])], ["underlay"]);
    });

    it("a namespace guest needs no command channel: it gets every check but the DHCP one (its address is static)", () => {
        const raw = JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/verify-outputs-dev.json"), "utf8"));
        const web = raw.machines.find((m: { id: string }) => m.id === "web");
        delete web.channelSocket;
        Object.assign(web, { kind: "netns", namespace: "dvr-web" });
        const o = outputsSchema.parse(raw);
        assert.equal(o.machines.find((m) => m.id === "web")!.kind, "netns");
        assert.equal(o.machines.find((m) => m.id === "cirros")!.kind, undefined); // libvirt guests (and older outputs) have no kind
        const checks = planChecks(o);
        assert.equal(checks.length, 37);
        assert.deepEqual(
            checks.filter((c) => c.kind === "dhcp").map((c) => c.name),
            [
                "cirros holds 192.168.10.168 from DHCP",
                "peer holds 192.168.10.10 from DHCP",
                "vm233 holds 192.168.10.233 from DHCP",
                "locked holds 192.168.10.68 from DHCP",
            ],
        );
        assert.ok(checks.some((c) => c.name === "ping web → cirros (routed, across the tunnel)"));
    });

    it("a namespace guest's commands run on its host under `ip netns exec`; it has no channel to open", async () => {
        const raw = JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/verify-outputs-dev.json"), "utf8"));
        const web = raw.machines.find((m: { id: string }) => m.id === "web");
        delete web.channelSocket;
        Object.assign(web, { kind: "netns", namespace: "dvr-web" });
        const o = outputsSchema.parse(raw);
        const ran: { host: string; argv: readonly string[]; timeoutMs?: number }[] = [];
        const pool = {
            run: async (c: { name?: string }, argv: readonly string[], opts?: { timeoutMs?: number }) => {
                ran.push({ host: c.name!, argv, timeoutMs: opts?.timeoutMs });
                return { stdout: "3 packets received\n", stderr: "", code: 0 };
            },
        };
        const ctx = new StackContext(o, pool as unknown as SshPool, 1000);
        const r = await ctx.guest(ctx.machine("web"), ["ping", "-c", "3", "192.168.10.168"], 7000);
        assert.deepEqual(r, { stdout: "3 packets received\n", stderr: "", code: 0 });
        assert.deepEqual(ran, [{ host: "server-68", argv: ["ip", "netns", "exec", "dvr-web", "ping", "-c", "3", "192.168.10.168"], timeoutMs: 7000 }]);
        assert.throws(() => ctx.guestSocket(ctx.machine("web")), /web is a namespace guest: it has no command channel/);
    });

    it("--only matches kinds and names as case-insensitive regular expressions; several are or-ed", () => {
        assert.deepEqual(
            selectChecks(dev, ["^dhcp$"]).map((c) => c.name),
            [
                "cirros holds 192.168.10.168 from DHCP",
                "peer holds 192.168.10.10 from DHCP",
                "vm233 holds 192.168.10.233 from DHCP",
                "locked holds 192.168.10.68 from DHCP",
                "web holds 192.168.20.68 from DHCP",
            ],
        );
        assert.deepEqual(selectChecks(dev, ["ROUTED, SAME HOST", "underlay"]).map(line), [
            "ping  ping locked → web (routed, same host)",
            "routed-on-source  web → cirros is routed on web's host: on the underlay it carries cirros's network VNI and web's host DVR MAC",
            "same-host-local  locked → web (two subnets, one host) never touches the underlay",
        ]);
        assert.equal(selectChecks(dev, ["no such check"]).length, 0);
        assert.equal(selectChecks(dev, []).length, 38);
        assert.throws(() => onlyMatcher(["ping ("]), /--only "ping \(" is not a regular expression/);
    });

    it("--list names every kind, then this stack's checks in run order (with --only, the selected ones)", () => {
        const all = listText(dev).split("\n");
        assert.deepEqual(all.slice(0, 3), [
            "8 check kinds:",
            "  dhcp               every VM holds its DHCP address (eth0 inside the guest, and its lease file)",
            "                     needs: machines, networks",
        ]);
        assert.ok(all.includes("  gateway-mac-local  no router host's br-int has learnt a gateway MAC on patch-tun (checked first, as `up` left it)"));
        const at = all.indexOf("38 checks on this stack, in run order:");
        assert.ok(at > 0);
        assert.equal(all[at + 1], "  gateway-mac-local  server-233: br-int has learnt no gateway MAC on patch-tun (each is local to its qr- port)");
        assert.equal(all[at + 38], "  same-host-local    locked → web (two subnets, one host) never touches the underlay");

        const some = listText(dev, ["arp-spoof"]).split("\n");
        const s = some.indexOf('5 checks on this stack matching "arp-spoof", in run order:');
        assert.ok(s > 0);
        assert.equal(some[s + 1], "  arp-spoof          cirros: ARP reply claiming 192.168.10.254 dropped at br-int table 24, its real one passes");

        const noStack = listText(undefined, ["ping|spoof"]);
        assert.match(noStack, /^kinds matching "ping\|spoof": ping, arp-spoof, ip-spoof$/m);
        assert.doesNotMatch(noStack, /checks on this stack/);
    });
});
