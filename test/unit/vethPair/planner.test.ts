import { strict as assert } from "assert";
import { vethPairSchema } from "../../../provider/vethPair/schema";
import { parsePair, planConverge, planCreate } from "../../../provider/vethPair/planner";

const spec = vethPairSchema.parse({
    connection: { host: "10.0.0.1" },
    owner: "dvrlab:p/s",
    name: "qvb-cirros",
    peer: "qvo-cirros",
    nameEnd: { promisc: true, master: "qbr-cirros" },
});

describe("VethPair planner", () => {
    it("creates the seed's qvb/qvo: promisc qvb in qbr, offload off, both up", () => {
        assert.deepEqual(planCreate(spec, false), [
            ["ip", "link", "add", "name", "qvb-cirros", "type", "veth", "peer", "name", "qvo-cirros"],
            ["ip", "link", "set", "dev", "qvb-cirros", "alias", "dvrlab:p/s"],
            ["ip", "link", "set", "dev", "qvb-cirros", "promisc", "on"],
            ["ip", "link", "set", "dev", "qvb-cirros", "master", "qbr-cirros"],
            ["ethtool", "-K", "qvb-cirros", "tx", "off"],
            ["ip", "link", "set", "dev", "qvo-cirros", "alias", "dvrlab:p/s"],
            ["ethtool", "-K", "qvo-cirros", "tx", "off"],
            ["ip", "link", "set", "dev", "qvb-cirros", "up"],
            ["ip", "link", "set", "dev", "qvo-cirros", "up"],
        ]);
    });

    it("parses both ends and converges only the drifted bits", () => {
        const a = [{ ifname: "qvb-cirros", link: "qvo-cirros", flags: ["BROADCAST", "UP"], mtu: 1500, master: "qbr-cirros", ifalias: "dvrlab:p/s", linkinfo: { info_kind: "veth" } }];
        const b = [{ ifname: "qvo-cirros", link: "qvb-cirros", flags: ["BROADCAST", "UP"], mtu: 1500, ifalias: "dvrlab:p/s", promiscuity: 1, linkinfo: { info_kind: "veth" } }];
        const out = `${JSON.stringify(a)}\noff\n\n${JSON.stringify(b)}\non\n\n`;
        const [ea, eb] = parsePair(out);
        assert.equal(ea!.promisc, false);
        assert.equal(eb!.promisc, false, "promiscuity from OVS membership is not the user's flag");
        assert.equal(eb!.txChecksum, true);
        assert.deepEqual(planConverge([ea!, eb!], spec, false), [
            ["ip", "link", "set", "dev", "qvb-cirros", "promisc", "on"],
            ["ethtool", "-K", "qvo-cirros", "tx", "off"],
        ]);
    });

    it("parses a missing pair", () => {
        assert.deepEqual(parsePair("null\n\nnull\n\n"), [undefined, undefined]);
    });

    it("check refuses equal names and 16-character names", () => {
        const r = vethPairSchema.safeParse({ ...spec, peer: "qvb-cirros" });
        assert.ok(!r.success && r.error.issues[0].path[0] === "peer");
        const r2 = vethPairSchema.safeParse({ ...spec, name: "qvb-0123456789ab" });
        assert.ok(!r2.success && r2.error.issues[0].path[0] === "name");
    });
});
