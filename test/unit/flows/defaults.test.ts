import * as assert from "assert";
import { brInt, brTun } from "../../../provider/flows";

// The default pipelines as literal flows: the stack names its FlowEntry resources after these keys
// (so their cookies), and each flow is what Neutron's setup_default_table writes in ovs-ofctl form.
describe("default pipelines", () => {
    it("br-int: NORMAL, the 24/25 drops, TRANSIENT's NORMAL, DVR_TO_SRC_MAC's drop", () => {
        assert.deepStrictEqual(brInt.defaultFlows(), {
            normal: { table: 0, priority: 1, actions: "NORMAL" },
            "arp-spoof-drop": { table: 24, priority: 0, actions: "drop" },
            "mac-spoof-drop": { table: 25, priority: 0, actions: "drop" },
            "transient-normal": { table: 60, priority: 3, actions: "NORMAL" },
            "dvr-to-src-default": { table: 1, priority: 1, actions: "drop" },
        });
    });

    it("br-tun: patch → DVR_PROCESS → classification, unknown unicast flooded, learning from tunnels", () => {
        assert.deepStrictEqual(brTun.defaultFlows({ patchPort: 1 }), {
            "patch-from-int": { table: 0, priority: 1, match: "in_port=1", actions: "resubmit(,1)" },
            "dvr-process": { table: 1, priority: 0, actions: "resubmit(,2)" },
            "unicast-classify": { table: 2, priority: 0, match: "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00", actions: "resubmit(,20)" },
            "flood-classify": { table: 2, priority: 0, match: "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", actions: "resubmit(,22)" },
            "unicast-default": { table: 20, priority: 0, actions: "resubmit(,22)" },
            "dvr-not-learn": { table: 9, priority: 0, actions: "resubmit(,10)" },
            "learn-from-tun": {
                table: 10,
                priority: 1,
                actions:
                    "learn(table=20,hard_timeout=300,priority=1,cookie=0xb8a7772eecbcd5b8,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1",
            },
        });
        assert.strictEqual(brTun.defaultFlows({ patchPort: 7 })["patch-from-int"].match, "in_port=7");
    });
});
