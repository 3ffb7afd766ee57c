import { strict as assert } from "assert";
import { vethPairSchema } from "../../../provider/vethPair/schema";
import { parsePair, planConverge, planCreate, planDelete, showPair, toInputs } from "../../../provider/vethPair/planner";
import { shellJoin } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";

// The seed's qvb/qvo pair made, read, drifted, converged and deleted for real inside a private
// network namespace (unshare): real veths, a Linux bridge, ethtool.

const run = (cmds: readonly (readonly string[])[]) => cmds.map((c) => shellJoin(c)).join(" >/dev/null && ") + " >/dev/null";

const spec = vethPairSchema.parse({
    connection: { host: "10.0.0.1" },
    owner: "dvrlab:p/s",
    name: "qvb-cirros",
    peer: "qvo-cirros",
    mtu: 1450,
    nameEnd: { promisc: true, master: "qbr-cirros" },
});
const BR = "ip link add qbr-cirros type bridge && ip link set qbr-cirros up";

describe("VethPair plans on real veths in a private namespace", () => {
    it("created, it reads back as its inputs; deleted, both ends are gone", () => {
        const [, shown, , gone] = inPrivateNet([
            `${BR} && ${run(planCreate(spec, false))}`,
            shellJoin(showPair("qvb-cirros", "qvo-cirros")),
            run(planDelete("qvb-cirros")),
            shellJoin(showPair("qvb-cirros", "qvo-cirros")),
        ]);
        const [a, b] = parsePair(shown);
        assert.deepEqual(a, {
            isVeth: true,
            name: "qvb-cirros",
            peerName: "qvo-cirros",
            promisc: true,
            up: true,
            mtu: 1450,
            master: "qbr-cirros",
            alias: "dvrlab:p/s",
            txChecksum: false,
        });
        assert.deepEqual(b, {
            isVeth: true,
            name: "qvo-cirros",
            peerName: "qvb-cirros",
            promisc: false,
            up: true,
            mtu: 1450,
            master: undefined,
            alias: "dvrlab:p/s",
            txChecksum: false,
        });
        assert.deepEqual(toInputs([a!, b!], spec), { ...spec, txChecksum: false, peerEnd: {} });
        assert.deepEqual(planConverge([a!, b!], spec, false), []);
        assert.equal(gone, "null\n\nnull\n\n");
        assert.deepEqual(parsePair(gone), [undefined, undefined]);
    });

    it("one end missing reads as that end undefined", () => {
        const [, shown] = inPrivateNet(["ip link add qvb-cirros type veth peer name other0", shellJoin(showPair("qvo-cirros", "qvb-cirros"))]);
        const [a, b] = parsePair(shown);
        assert.equal(a, undefined);
        assert.deepEqual([b!.name, b!.peerName, b!.isVeth, b!.up, b!.alias], ["qvb-cirros", "other0", true, false, undefined]);
    });

    it("drift made by hand converges back", () => {
        const drift =
            "ip link set dev qvb-cirros nomaster && ip link set dev qvb-cirros promisc off && ip link set dev qvo-cirros mtu 1500 && ip link set dev qvo-cirros down && ethtool -K qvo-cirros tx on >/dev/null && ip link set dev qvo-cirros alias x";
        const [, , shown] = inPrivateNet([`${BR} && ${run(planCreate(spec, false))}`, drift, shellJoin(showPair("qvb-cirros", "qvo-cirros"))]);
        const [a, b] = parsePair(shown);
        const cur: [any, any] = [a, b];
        // the ends disagree on tx: the one that differs from what was set is reported (the first when nothing was)
        assert.deepEqual(toInputs(cur, { ...spec, txChecksum: false }), { ...spec, up: false, nameEnd: { promisc: false }, peerEnd: {}, txChecksum: true });
        assert.equal(toInputs(cur, { ...spec, txChecksum: true }).txChecksum, false);
        assert.equal(toInputs(cur, spec).txChecksum, false);
        const fix = planConverge(cur, spec, false);
        assert.deepEqual(
            fix.map((c) => c.join(" ")),
            [
                "ip link set dev qvb-cirros promisc on",
                "ip link set dev qvb-cirros master qbr-cirros",
                "ip link set dev qvo-cirros alias dvrlab:p/s",
                "ip link set dev qvo-cirros mtu 1450",
                "ethtool -K qvo-cirros tx off",
                "ip link set dev qvo-cirros up",
            ],
        );
        const [, , , after] = inPrivateNet([`${BR} && ${run(planCreate(spec, false))}`, drift, run(fix), shellJoin(showPair("qvb-cirros", "qvo-cirros"))]);
        const [a2, b2] = parsePair(after);
        assert.deepEqual(planConverge([a2!, b2!], spec, false), []);
    });
});
