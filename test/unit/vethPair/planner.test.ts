import { strict as assert } from "assert";
import { vethPairSchema } from "../../../provider/vethPair/schema";
import { parsePair, planConverge, planCreate, planDelete, toInputs, EndState } from "../../../provider/vethPair/planner";
import { vethPairKind } from "../../../provider/vethPair/kind";

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
        const a = [
            {
                ifname: "qvb-cirros",
                link: "qvo-cirros",
                flags: ["BROADCAST", "UP"],
                mtu: 1500,
                master: "qbr-cirros",
                ifalias: "dvrlab:p/s",
                linkinfo: { info_kind: "veth" },
            },
        ];
        const b = [
            {
                ifname: "qvo-cirros",
                link: "qvb-cirros",
                flags: ["BROADCAST", "UP"],
                mtu: 1500,
                ifalias: "dvrlab:p/s",
                promiscuity: 1,
                linkinfo: { info_kind: "veth" },
            },
        ];
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

    it("an end whose promisc the user left unset is not managed: OVS's userspace datapath setting it is no drift", () => {
        const qvb: EndState = {
            isVeth: true,
            name: "qvb-cirros",
            peerName: "qvo-cirros",
            promisc: true,
            up: true,
            mtu: 1500,
            master: "qbr-cirros",
            alias: "dvrlab:p/s",
            txChecksum: false,
        };
        const qvo: EndState = {
            isVeth: true,
            name: "qvo-cirros",
            peerName: "qvb-cirros",
            promisc: true,
            up: true,
            mtu: 1500,
            alias: "dvrlab:p/s",
            txChecksum: false,
        };
        assert.deepEqual(spec.peerEnd, {});
        const read = toInputs([qvb, qvo], spec);
        assert.deepEqual(read.nameEnd, { promisc: true, master: "qbr-cirros" });
        assert.deepEqual(read.peerEnd, {}, "promisc of the unmanaged end is not read back");
        assert.deepEqual(planConverge([qvb, qvo], spec, false), []);
        // set by the user: managed, both ways
        const off = vethPairSchema.parse({ ...spec, peerEnd: { promisc: false } });
        assert.deepEqual(toInputs([qvb, qvo], off).peerEnd, { promisc: true });
        assert.deepEqual(planConverge([qvb, qvo], off, false), [["ip", "link", "set", "dev", "qvo-cirros", "promisc", "off"]]);
        // the user's promisc on the qvb end drifting off is still found and repaired
        assert.deepEqual(toInputs([{ ...qvb, promisc: false }, qvo], spec).nameEnd, { promisc: false, master: "qbr-cirros" });
    });

    it("the kernel datapath's ovs-system master of an end without a master is not ours to report or remove", () => {
        const qvb: EndState = {
            isVeth: true,
            name: "qvb-cirros",
            peerName: "qvo-cirros",
            promisc: true,
            up: true,
            mtu: 1500,
            master: "qbr-cirros",
            alias: "dvrlab:p/s",
            txChecksum: true,
        };
        const qvo: EndState = {
            isVeth: true,
            name: "qvo-cirros",
            peerName: "qvb-cirros",
            promisc: false,
            up: true,
            mtu: 1500,
            master: "ovs-system",
            alias: "dvrlab:p/s",
            txChecksum: true,
        };
        assert.deepEqual(toInputs([qvb, qvo], spec).peerEnd, {});
        assert.deepEqual(planConverge([qvb, qvo], spec, true), []);
        // another bridge is still drift, removed by converge
        assert.deepEqual(toInputs([qvb, { ...qvo, master: "br-x" }], spec).peerEnd, { master: "br-x" });
        assert.deepEqual(planConverge([qvb, { ...qvo, master: "br-x" }], spec, true), [["ip", "link", "set", "dev", "qvo-cirros", "nomaster"]]);
    });

    it("migrates version 1 states: the stored default promisc false becomes unmanaged, an explicit true stays", () => {
        const v1 = { ...spec, nameEnd: { promisc: true, master: "qbr-cirros" }, peerEnd: { promisc: false }, dvrlabVersion: 1 };
        const m = vethPairKind.migrate!(v1);
        assert.deepEqual(m.nameEnd, { promisc: true, master: "qbr-cirros" });
        assert.deepEqual(m.peerEnd, {});
        assert.deepEqual(vethPairKind.migrate!({ ...v1, peerEnd: { promisc: false }, dvrlabVersion: 2 }).peerEnd, { promisc: false });
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

    it("every drift of both ends, converged in order; an MTU at create; delete by name", () => {
        const mtu = vethPairSchema.parse({ ...spec, mtu: 1450, nameEnd: { master: "qbr-x" }, peerEnd: { promisc: false } });
        assert.deepEqual(planCreate(mtu, true).slice(0, 1), [
            ["ip", "link", "add", "name", "qvb-cirros", "mtu", "1450", "type", "veth", "peer", "name", "qvo-cirros", "mtu", "1450"],
        ]);
        assert.deepEqual(planCreate({ ...mtu, up: false }, true).slice(-2), [
            ["ip", "link", "set", "dev", "qvo-cirros", "alias", "dvrlab:p/s"],
            ["ethtool", "-K", "qvo-cirros", "tx", "on"],
        ]);
        const bad: EndState = {
            isVeth: true,
            name: "qvb-cirros",
            peerName: "qvo-cirros",
            promisc: true,
            up: false,
            mtu: 1500,
            master: "br-y",
            alias: "someone",
            txChecksum: false,
        };
        assert.deepEqual(planConverge([bad, { ...bad, name: "qvo-cirros", master: undefined }], mtu, true), [
            ["ip", "link", "set", "dev", "qvb-cirros", "alias", "dvrlab:p/s"],
            ["ip", "link", "set", "dev", "qvb-cirros", "mtu", "1450"],
            ["ip", "link", "set", "dev", "qvb-cirros", "master", "qbr-x"],
            ["ethtool", "-K", "qvb-cirros", "tx", "on"],
            ["ip", "link", "set", "dev", "qvb-cirros", "up"],
            ["ip", "link", "set", "dev", "qvo-cirros", "alias", "dvrlab:p/s"],
            ["ip", "link", "set", "dev", "qvo-cirros", "mtu", "1450"],
            ["ip", "link", "set", "dev", "qvo-cirros", "promisc", "off"],
            ["ethtool", "-K", "qvo-cirros", "tx", "on"],
            ["ip", "link", "set", "dev", "qvo-cirros", "up"],
        ]);
        const good: EndState = { ...bad, up: true, mtu: 1450, master: "qbr-x", alias: "dvrlab:p/s", txChecksum: true, promisc: false };
        assert.deepEqual(
            planConverge(
                [
                    { ...good, up: true },
                    { ...good, master: undefined },
                ],
                { ...mtu, up: false },
                true,
            ),
            [
                ["ip", "link", "set", "dev", "qvb-cirros", "down"],
                ["ip", "link", "set", "dev", "qvo-cirros", "down"],
            ],
        );
        assert.deepEqual(planDelete("qvb-cirros"), [["ip", "link", "del", "dev", "qvb-cirros"]]);
    });

    it("reads every field of an end, and both ends into inputs (owner, up only when both are, MTU when managed, the differing tx setting)", () => {
        const a = [
            {
                ifname: "qvb-cirros",
                link: "qvo-cirros",
                flags: ["BROADCAST", "PROMISC", "UP"],
                mtu: 1450,
                master: "qbr-cirros",
                ifalias: "dvrlab:p/s",
                linkinfo: { info_kind: "veth" },
            },
        ];
        const b = [{ ifname: "qvo-cirros", link: "qvb-cirros", mtu: 1450, linkinfo: { info_kind: "dummy" } }];
        const [ea, eb] = parsePair(`${JSON.stringify(a)}\n on \n\n${JSON.stringify(b)}\n\n`);
        assert.deepEqual(ea, {
            isVeth: true,
            name: "qvb-cirros",
            peerName: "qvo-cirros",
            promisc: true,
            up: true,
            mtu: 1450,
            master: "qbr-cirros",
            alias: "dvrlab:p/s",
            txChecksum: true,
        });
        assert.deepEqual(eb, {
            isVeth: false,
            name: "qvo-cirros",
            peerName: "qvb-cirros",
            promisc: false,
            up: false,
            mtu: 1450,
            master: undefined,
            alias: undefined,
            txChecksum: undefined,
        });
        assert.deepEqual(parsePair(`[]\nfixed\n\nnull\n\n`), [undefined, undefined], "an empty JSON array: no such device");
        const m = vethPairSchema.parse({ ...spec, mtu: 1500, txChecksum: false });
        const r = toInputs([ea!, eb!], m);
        assert.deepEqual([r.owner, r.up, r.mtu, r.txChecksum], ["dvrlab:p/s", false, 1450, true]);
        assert.deepEqual(
            toInputs(
                [
                    { ...ea!, alias: undefined },
                    { ...ea!, txChecksum: false },
                ],
                spec,
            ).owner,
            "",
        );
        assert.equal(toInputs([ea!, { ...ea!, txChecksum: false }], m).txChecksum, true, "the end that differs from what was set");
        assert.equal(
            toInputs(
                [
                    { ...ea!, txChecksum: false },
                    { ...ea!, txChecksum: false },
                ],
                m,
            ).txChecksum,
            false,
        );
        assert.equal(
            toInputs(
                [
                    { ...ea!, txChecksum: undefined },
                    { ...ea!, txChecksum: undefined },
                ],
                m,
            ).txChecksum,
            false,
            "unread: as stored",
        );
        assert.equal(toInputs([ea!, ea!], spec).mtu, undefined, "MTU left to the kernel is not read back");
        assert.equal(toInputs([ea!, ea!], spec).up, true);
    });
});
