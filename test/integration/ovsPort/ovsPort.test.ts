// OvsPort against a lab host: never harm what is not ours. A port dvrlab did not create (a Neutron
// node's, with its own external_ids) is refused unless adopted; an adopted one is marked and kept on
// destroy; a port dvrlab made is found again by its mark after a lost state (converged, same
// ofport), and deleted on destroy; deleting a missing port succeeds.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-233"];
const id = process.pid % 10000;
const BR = `dvrlt-pb${id}`;
const FOREIGN = `dvrlt-pf${id}`;
const MINE = `dvrlt-pm${id}`;
const sh = (script: string, ...args: string[]) => hostSh(HOST, script, ...args);
const portIds = (p: string) => sh('ovs-vsctl get Port "$1" external_ids', p).stdout.trim();
const ofport = (p: string) => sh('ovs-vsctl get Interface "$1" ofport', p).stdout.trim();
const hasPort = (p: string) => sh('ovs-vsctl list-ports "$1"', BR).stdout.split("\n").includes(p);

describe("OvsPort on a lab host: refused unless adopted, adopted ports kept on destroy", function () {
    this.timeout(60_000);
    const p = () => provider("OvsPort", 1);
    const inputs = (name: string, extra: any = {}) => ({ connection: { host: HOST }, owner: "dvrlab:itest/dev", bridge: BR, name, type: "internal", ...extra });

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(
            HOST,
            'ovs-vsctl add-br "$1" -- set Bridge "$1" datapath_type=netdev -- add-port "$1" "$2" tag=5 -- set Interface "$2" type=internal -- set Port "$2" external_ids:neutron-id=n1',
            BR,
            FOREIGN,
        );
    });
    after(() => {
        if (labIsUp) sh('ovs-vsctl --if-exists del-br "$1"', BR);
        closeExecutor();
    });

    it("refuses a port it did not create, naming host, port and how to adopt it, and changes nothing", async () => {
        const before = [portIds(FOREIGN), sh('ovs-vsctl get Port "$1" tag', FOREIGN).stdout];
        await assert.rejects(p().create(inputs(FOREIGN, { tag: 7 })), {
            message:
                `OvsPort ${FOREIGN} on root@${HOST}:22: exists and dvrlab did not create it (no external_ids:dvrlab-owner); dvrlab does not take it over: ` +
                `set adopt: true to use it (destroy then leaves it, removing only dvrlab's marks); it differs: tag 5 (want 7); or remove it (ovs-vsctl del-port ${FOREIGN}), or use another name`,
        });
        assert.deepEqual([portIds(FOREIGN), sh('ovs-vsctl get Port "$1" tag', FOREIGN).stdout], before);
        assert.equal(before[0], "{neutron-id=n1}");
    });

    it("adopts it when asked: converged and marked, the host's own external_ids kept; destroy leaves the port without our marks", async () => {
        const r = await p().create(inputs(FOREIGN, { tag: 7, adopt: true }));
        assert.equal(portIds(FOREIGN), '{dvrlab-adopted="true", dvrlab-owner="dvrlab:itest/dev", neutron-id=n1}');
        assert.equal(sh('ovs-vsctl get Port "$1" tag', FOREIGN).stdout.trim(), "7");
        const back = await p().read(r.id, r.outs);
        assert.deepEqual(back.props.externalIds, { "neutron-id": "n1" });
        await p().delete(r.id, r.outs);
        assert.equal(hasPort(FOREIGN), true);
        assert.equal(portIds(FOREIGN), "{neutron-id=n1}");
    });

    it("a port dvrlab made is found again by its mark after a lost state (converged, same ofport); destroy deletes it, twice is fine", async () => {
        const first = await p().create(inputs(MINE, { tag: 3 }));
        const n = ofport(MINE);
        // the state is lost (an interrupted up): create again finds it by its mark
        const again = await p().create(inputs(MINE, { tag: 4 }));
        assert.equal(ofport(MINE), n);
        assert.equal(sh('ovs-vsctl get Port "$1" tag', MINE).stdout.trim(), "4");
        assert.equal(again.outs.ofport, first.outs.ofport);
        await p().delete(again.id, again.outs);
        assert.equal(hasPort(MINE), false);
        await p().delete(again.id, again.outs);
    });

    it("another stack's port is refused on create and delete", async () => {
        sh('ovs-vsctl add-port "$1" "$2" -- set Interface "$2" type=internal -- set Port "$2" external_ids:dvrlab-owner="dvrlab:other/dev"', BR, MINE);
        await assert.rejects(p().create(inputs(MINE)), { message: `OvsPort ${MINE} on root@${HOST}:22: exists and belongs to dvrlab:other/dev` });
        await assert.rejects(p().delete("x", { ...inputs(MINE), ofport: 1 }), /not deleting, it is owned by dvrlab:other\/dev/);
        assert.equal(hasPort(MINE), true);
    });
});
