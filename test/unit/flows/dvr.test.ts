import { strict as assert } from "assert";
import { brInt, brTun, dvrMac, dvrMacs, DVR_BASE_MAC } from "../../../provider/flows";

// Neutron's DVR flows (ovs_ofctl br_dvr_process.py, br_tun.py, br_int.py; ovs_dvr_neutron_agent.py)
// for a subnet 192.168.20.0/24 on local VLAN 2, gateway fa:16:3e:00:20:01, this host's DVR MAC
// fa:16:3f:00:00:01, another host's fa:16:3f:00:00:02, patch ports 1 on both bridges.
const GW_MAC = "fa:16:3e:00:20:01";
const HERE = "fa:16:3f:00:00:01";
const THERE = "fa:16:3f:00:00:02";

describe("DVR flow intents", () => {
    it("br-tun table 1 DVR_PROCESS: ARP for the gateway dropped (priority 3)", () => {
        assert.deepEqual(brTun.dvrProcessArpDrop({ vlan: 2, gatewayIp: "192.168.20.1" }), {
            table: 1,
            priority: 3,
            match: "arp,dl_vlan=2,arp_tpa=192.168.20.1",
            actions: "drop",
        });
    });

    it("br-tun table 1: frames to the gateway MAC dropped (priority 2)", () => {
        assert.deepEqual(brTun.dvrProcessGatewayMacDrop({ vlan: 2, gatewayMac: "FA:16:3E:00:20:01" }), {
            table: 1,
            priority: 2,
            match: `dl_vlan=2,dl_dst=${GW_MAC}`,
            actions: "drop",
        });
    });

    it("br-tun table 1: the router's frames leave with this host's DVR MAC, on to table 2 (priority 1)", () => {
        assert.deepEqual(brTun.dvrProcessSrcRewrite({ vlan: 2, gatewayMac: GW_MAC, dvrMac: HERE }), {
            table: 1,
            priority: 1,
            match: `dl_vlan=2,dl_src=${GW_MAC}`,
            actions: `mod_dl_src:${HERE},resubmit(,2)`,
        });
        assert.deepEqual(Object.keys(brTun.dvrProcess({ vlan: 2, gatewayIp: "192.168.20.1", gatewayMac: GW_MAC, dvrMac: HERE })), [
            "dvr-process-arp-drop-2",
            "dvr-process-gw-mac-drop-2",
            "dvr-process-src-rewrite-2",
        ]);
    });

    it("br-tun table 9 DVR_NOT_LEARN: another host's DVR MAC goes to br-int unlearnt (priority 1)", () => {
        assert.deepEqual(brTun.dvrNotLearn({ dvrMac: THERE, patchPort: 1 }), { table: 9, priority: 1, match: `dl_src=${THERE}`, actions: "output:1" });
    });

    it("br-tun table 9: a gateway MAC arriving from a tunnel is a leak and is dropped before learning (priority 2, above DVR MACs)", () => {
        assert.deepEqual(brTun.dvrGatewayMacFromTunDrop({ gatewayMac: GW_MAC }), { table: 9, priority: 2, match: `dl_src=${GW_MAC}`, actions: "drop" });
        assert.throws(() => brTun.dvrGatewayMacFromTunDrop({ gatewayMac: "fa:16:3e" }), /^Error: brTun.dvrGatewayMacFromTunDrop: gatewayMac/);
    });

    it("br-int table 0 → 1 DVR_TO_SRC_MAC for frames from br-tun with another host's DVR MAC (priority 2)", () => {
        assert.deepEqual(brInt.dvrFromTun({ patchPort: 1, dvrMac: THERE }), {
            table: 0,
            priority: 2,
            match: `in_port=1,dl_src=${THERE}`,
            actions: "resubmit(,1)",
        });
    });

    it("br-int table 1: to the local VM, untagged, from the gateway MAC (priority 4); default drop (priority 1)", () => {
        assert.deepEqual(brInt.dvrToSrcMac({ vlan: 2, dstMac: "fa:16:3e:aa:bb:cc", gatewayMac: GW_MAC, ofport: 7 }), {
            table: 1,
            priority: 4,
            match: "dl_vlan=2,dl_dst=fa:16:3e:aa:bb:cc",
            actions: `strip_vlan,mod_dl_src:${GW_MAC},output:7`,
        });
        assert.deepEqual(brInt.dvrToSrcMacDefault(), { table: 1, priority: 1, actions: "drop" });
    });

    it("arguments are checked where the intent is called, by name", () => {
        assert.throws(() => brTun.dvrProcessArpDrop({ vlan: 4096, gatewayIp: "192.168.20.1" }), /^Error: brTun.dvrProcessArpDrop: vlan:/);
        assert.throws(() => brTun.dvrProcessSrcRewrite({ vlan: 2, gatewayMac: GW_MAC, dvrMac: "fa:16:3f:00:00" }), /dvrMac: a MAC address/);
        assert.throws(() => brInt.dvrToSrcMac({ vlan: 2, dstMac: GW_MAC, gatewayMac: GW_MAC, ofport: 0 }), /brInt.dvrToSrcMac: ofport/);
        assert.throws(() => brTun.dvrNotLearn({ dvrMac: THERE } as any), /patchPort/);
    });
});

describe("dvrMac", () => {
    it("by host index: Neutron's fixed octets, then index + 1", () => {
        assert.deepEqual(
            [0, 1, 2].map((i) => dvrMac(DVR_BASE_MAC, i)),
            ["fa:16:3f:00:00:01", "fa:16:3f:00:00:02", "fa:16:3f:00:00:03"],
        );
        assert.equal(dvrMac(DVR_BASE_MAC, 256), "fa:16:3f:00:01:01");
        assert.equal(dvrMac("fa:16:3f:07:00:00", 4), "fa:16:3f:07:00:05", "a non-zero fourth octet is kept too");
        assert.throws(() => dvrMac("fa:16:3f:07:00:00", 65535), /host index 65535 is not an integer in 0\.\.65534/);
        assert.throws(() => dvrMac(DVR_BASE_MAC, -1), /host index/);
    });

    it("by host name: stable, keeps the fixed octets, unique across a set or refused", () => {
        const m = dvrMacs(DVR_BASE_MAC, ["server-233", "server-64", "server-68"]);
        assert.deepEqual(m, { "server-233": "fa:16:3f:39:60:57", "server-64": "fa:16:3f:d2:96:61", "server-68": "fa:16:3f:fb:74:ed" });
        assert.equal(dvrMac("FA:16:3F:00:00:00", "server-64"), "fa:16:3f:d2:96:61");
    });

    it("refuses a multicast or malformed base", () => {
        assert.throws(() => dvrMac("fb:16:3f:00:00:00", 0), /multicast/);
        assert.throws(() => dvrMac("fa:16:3f", 0), /not a MAC/);
    });
});
