import { strict as assert } from "assert";
import { brInt, brIntTables, brTun, brTunTables } from "../../../provider/flows";

// The seed's flows, verbatim (human-defined-dvr.md, Part 2 Case B and Part 3), and what the intents
// must produce for them.
const LEARN =
    "learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1";

describe("flow intents", () => {
    it("tables mirror Neutron's constants", () => {
        assert.deepEqual(
            [
                brTunTables.LOCAL_SWITCHING,
                brTunTables.DVR_PROCESS,
                brTunTables.PATCH_LV_TO_TUN,
                brTunTables.VXLAN_TUN_TO_LV,
                brTunTables.DVR_NOT_LEARN,
                brTunTables.LEARN_FROM_TUN,
                brTunTables.UCAST_TO_TUN,
                brTunTables.FLOOD_TO_TUN,
            ],
            [0, 1, 2, 4, 9, 10, 20, 22],
        );
        assert.deepEqual(
            [brIntTables.LOCAL_SWITCHING, brIntTables.DVR_TO_SRC_MAC, brIntTables.ARP_SPOOF_TABLE, brIntTables.MAC_SPOOF_TABLE, brIntTables.TRANSIENT_TABLE],
            [0, 1, 24, 25, 60],
        );
    });

    describe("br-tun, the seed's Case B", () => {
        it("table=0,priority=1,in_port=1,actions=resubmit(,1)", () => {
            assert.deepEqual(brTun.patchFromInt({ patchPort: 1 }), { table: 0, priority: 1, match: "in_port=1", actions: "resubmit(,1)" });
        });
        it("table=1,priority=0,actions=resubmit(,2)", () => {
            assert.deepEqual(brTun.dvrProcessDefault(), { table: 1, priority: 0, actions: "resubmit(,2)" });
        });
        it("table=2 unicast → 20, broadcast/multicast → 22", () => {
            assert.deepEqual(brTun.unicastClassify(), { table: 2, priority: 0, match: "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00", actions: "resubmit(,20)" });
            assert.deepEqual(brTun.floodClassify(), { table: 2, priority: 0, match: "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", actions: "resubmit(,22)" });
        });
        it("table=22,dl_vlan=1,actions=strip_vlan,set_tunnel:0x813,output:2,output:3", () => {
            assert.deepEqual(brTun.floodToTun({ vlan: 1, vni: 0x813, ports: [2, 3] }), {
                table: 22,
                priority: 32768,
                match: "dl_vlan=1",
                actions: "strip_vlan,set_tunnel:0x813,output:2,output:3",
            });
        });
        it("table=0,priority=1,in_port=3,actions=resubmit(,4) and table=4,priority=1,tun_id=0x813,actions=mod_vlan_vid:1,resubmit(,9)", () => {
            assert.deepEqual(brTun.fromTun({ tunPort: 3 }), { table: 0, priority: 1, match: "in_port=3", actions: "resubmit(,4)" });
            assert.deepEqual(brTun.tunToLv({ vni: 0x813, vlan: 1 }), { table: 4, priority: 1, match: "tun_id=0x813", actions: "mod_vlan_vid:1,resubmit(,9)" });
        });
        it("table=9,priority=0,actions=resubmit(,10)", () => {
            assert.deepEqual(brTun.dvrNotLearnDefault(), { table: 9, priority: 0, actions: "resubmit(,10)" });
        });
        it("table=10,priority=1,actions=learn(…),output:1 — the seed's learn action verbatim", () => {
            assert.deepEqual(brTun.learnFromTun({ patchPort: 1 }), { table: 10, priority: 1, actions: LEARN });
            assert.match(
                brTun.learnFromTun({ patchPort: 1, learnedCookie: "0xd7000000000000ff", hardTimeout: 60 }).actions,
                /^learn\(table=20,hard_timeout=60,priority=1,cookie=0xd7000000000000ff,/,
            );
        });
        it("unicastToTun: Neutron's table 20 entry for a known MAC", () => {
            assert.deepEqual(brTun.unicastToTun({ vlan: 1, vni: 0x813, port: 2, mac: "FA:16:3E:FF:AA:66" }), {
                table: 20,
                priority: 2,
                match: "dl_vlan=1,dl_dst=fa:16:3e:ff:aa:66",
                actions: "strip_vlan,set_tunnel:0x813,output:2",
            });
        });
        it("caseB: the whole pipeline of one host, by name", () => {
            const flows = brTun.caseB({ patchPort: 1, tunPorts: [2, 3], vlan: 1, vni: 0x813 });
            assert.deepEqual(Object.keys(flows), [
                "patch-from-int",
                "dvr-process",
                "unicast-classify",
                "flood-classify",
                "flood-to-tun-1",
                "from-tun-2",
                "from-tun-3",
                "tun-to-lv-0x813",
                "dvr-not-learn",
                "learn-from-tun",
            ]);
            assert.equal(flows["learn-from-tun"].actions, LEARN);
        });
        it("refuses bad arguments, naming them", () => {
            assert.throws(() => brTun.floodToTun({ vlan: 4096, vni: 0x813, ports: [2] }), /brTun.floodToTun: vlan/);
            assert.throws(() => brTun.floodToTun({ vlan: 1, vni: 2 ** 24, ports: [2] }), /vni/);
            assert.throws(() => brTun.floodToTun({ vlan: 1, vni: 1, ports: [] }), /ports: at least one tunnel port/);
            assert.throws(() => brTun.patchFromInt({ patchPort: 0 }), /patchPort/);
            assert.throws(() => brTun.learnFromTun({ patchPort: 1, learnedCookie: "x;y" }), /learnedCookie/);
        });
    });

    describe("br-int", () => {
        it("priority=1,actions=NORMAL", () => {
            assert.deepEqual(brInt.normal(), { table: 0, priority: 1, actions: "NORMAL" });
        });
        it("ARP anti-spoofing: priority=10,arp,in_port=43,actions=resubmit(,24) and table=24,priority=2,arp,in_port=43,arp_spa=192.168.10.222,actions=NORMAL", () => {
            assert.deepEqual(brInt.arpSpoofCheck({ ofport: 43, ip: "192.168.10.222" }), {
                redirect: { table: 0, priority: 10, match: "arp,in_port=43", actions: "resubmit(,24)" },
                allow: { table: 24, priority: 2, match: "arp,in_port=43,arp_spa=192.168.10.222", actions: "NORMAL" },
            });
            assert.throws(() => brInt.arpSpoofAllow({ ofport: 43, ip: "192.168.10.256" }), /brInt.arpSpoofAllow: ip/);
        });
        it("port security as the stack installs it: table 0 → 24 (ARP) → 25 (every frame) → 60, each table ending in an explicit drop", () => {
            const vm = { ofport: 16351, ip: "192.168.10.168", mac: "fa:16:3e:ff:aa:66" };
            assert.deepEqual(
                [
                    brInt.arpSpoofRedirect(vm),
                    brInt.macSpoofRedirect(vm),
                    brInt.normal(),
                    brInt.arpSpoofAllowThenMac(vm),
                    brInt.spoofDrop({ table: 24 }),
                    brInt.macSpoofAllow(vm),
                    brInt.spoofDrop({ table: 25 }),
                    brInt.transientNormal(),
                ],
                [
                    { table: 0, priority: 10, match: "arp,in_port=16351", actions: "resubmit(,24)" },
                    { table: 0, priority: 9, match: "in_port=16351", actions: "resubmit(,25)" },
                    { table: 0, priority: 1, actions: "NORMAL" },
                    { table: 24, priority: 2, match: "arp,in_port=16351,arp_spa=192.168.10.168", actions: "resubmit(,25)" },
                    { table: 24, priority: 0, actions: "drop" },
                    { table: 25, priority: 2, match: "in_port=16351,dl_src=fa:16:3e:ff:aa:66", actions: "resubmit(,60)" },
                    { table: 25, priority: 0, actions: "drop" },
                    { table: 60, priority: 3, actions: "NORMAL" },
                ],
            );
            // The order is the security: both table-0 redirects match an ARP from the port, and the ARP
            // one must win, or a spoofed ARP skips table 24; both must beat NORMAL and the DVR entry
            // from patch-tun (priority 2, another in_port).
            const [arp, mac, normal, dvr] = [
                brInt.arpSpoofRedirect(vm),
                brInt.macSpoofRedirect(vm),
                brInt.normal(),
                brInt.dvrFromTun({ patchPort: 1, dvrMac: "fa:16:3f:00:00:02" }),
            ];
            assert.ok(arp.priority > mac.priority && mac.priority > dvr.priority && dvr.priority > normal.priority);
            assert.ok(brInt.arpSpoofAllowThenMac(vm).priority > brInt.spoofDrop({ table: 24 }).priority);
            assert.ok(brInt.macSpoofAllow(vm).priority > brInt.spoofDrop({ table: 25 }).priority);
            assert.throws(() => brInt.spoofDrop({ table: 60 as any }), /^Error: brInt.spoofDrop: table: /);
            assert.throws(() => brInt.macSpoofAllow({ ofport: 16351, mac: "fa:16:3e:ff:aa" }), /^Error: brInt.macSpoofAllow: mac: /);
            assert.throws(() => brInt.macSpoofRedirect({ ofport: 0xff00 }), /^Error: brInt.macSpoofRedirect: ofport: /);
            assert.deepEqual(brInt.arpSpoofRedirect({ ofport: 0xfeff }).match, "arp,in_port=65279", "the highest OpenFlow port number");
        });
    });

    it("every intent names itself and the field in its error; learnedCookie must be lower-case hex", () => {
        const cases: [() => unknown, string][] = [
            [() => brTun.patchFromInt({ patchPort: 0 }), "brTun.patchFromInt: patchPort: "],
            [() => brTun.unicastToTun({ vlan: 1, vni: 1, port: 0, mac: "fa:16:3e:00:00:01" }), "brTun.unicastToTun: port: "],
            [() => brTun.fromTun({ tunPort: 0 }), "brTun.fromTun: tunPort: "],
            [() => brTun.tunToLv({ vni: -1, vlan: 1 }), "brTun.tunToLv: vni: "],
            [() => brTun.learnFromTun({ patchPort: 0 }), "brTun.learnFromTun: patchPort: "],
            [() => brTun.dvrProcessGatewayMacDrop({ vlan: 1, gatewayMac: "x" }), "brTun.dvrProcessGatewayMacDrop: gatewayMac: "],
            [() => brTun.dvrProcessSrcRewrite({ vlan: 1, gatewayMac: "fa:16:3e:00:00:01", dvrMac: "x" }), "brTun.dvrProcessSrcRewrite: dvrMac: "],
            [() => brTun.dvrNotLearn({ dvrMac: "x", patchPort: 1 }), "brTun.dvrNotLearn: dvrMac: "],
            [() => brInt.arpSpoofRedirect({ ofport: 0 }), "brInt.arpSpoofRedirect: ofport: "],
            [() => brInt.dvrFromTun({ patchPort: 1, dvrMac: "x" }), "brInt.dvrFromTun: dvrMac: "],
        ];
        for (const [f, prefix] of cases) assert.throws(f, (e: Error) => e.message.startsWith(prefix), prefix);
        assert.throws(() => brInt.arpSpoofRedirect(null as any), /^Error: brInt.arpSpoofRedirect: \(arguments\): /);
        assert.throws(() => brTun.tunToLv({ vni: -1, vlan: 5000 }), /^Error: brTun.tunToLv: vni: .*; vlan: /);
        for (const c of ["0xABC", "x0x1", "0x1x", "0x", "0x12345678901234567"])
            assert.throws(() => brTun.learnFromTun({ patchPort: 1, learnedCookie: c }), /learnedCookie: a cookie in lower-case hex/, c);
        assert.deepEqual(brTun.unicastToTunDefault(), { table: 20, priority: 0, actions: "resubmit(,22)" });
    });
});
