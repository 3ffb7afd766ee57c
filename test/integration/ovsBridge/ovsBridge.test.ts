// OvsBridge against a lab host: never harm what is not ours. A bridge dvrlab did not create (a
// Neutron node's br-int, with its own port, flow and external_ids) is refused unless adopted; an
// adopted one is converged and marked, and destroy leaves it with its port and flow, removing only
// dvrlab's marks. A bridge dvrlab made is deleted.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-233"];
const id = process.pid % 10000;
const BR = `dvrlt-ab${id}`;
const MINE = `dvrlt-mb${id}`;
const sh = (script: string, ...args: string[]) => hostSh(HOST, script, ...args);
const exists = (br: string) => sh('ovs-vsctl br-exists "$1"', br).code === 0;
const extIds = (br: string) => sh('ovs-vsctl get Bridge "$1" external_ids', br).stdout.trim();
const ports = (br: string) => sh('ovs-vsctl list-ports "$1"', br).stdout.trim();
const flows = (br: string) => sh('ovs-ofctl dump-flows --no-stats "$1"', br).stdout.trim();

describe("OvsBridge on a lab host: adoption, never deleting what is not ours", function () {
    this.timeout(60_000);
    const p = () => provider("OvsBridge", 1);
    const inputs = (name: string, extra: any = {}) => ({ connection: { host: HOST }, owner: "dvrlab:itest/dev", name, datapathType: "netdev", ...extra });

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        // As a Neutron node has it: br-int with its own port, flow and external_ids.
        hostCheck(
            HOST,
            'ovs-vsctl add-br "$1" -- set Bridge "$1" datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow14 external_ids:bridge-id="$1" ' +
                '-- add-port "$1" "$1-f" -- set Interface "$1-f" type=internal && ovs-ofctl add-flow "$1" "cookie=0xf00d,priority=2,in_port=$1-f,actions=drop"',
            BR,
        );
    });
    after(() => {
        if (labIsUp) for (const b of [BR, MINE]) sh('ovs-vsctl --if-exists del-br "$1"', b);
        closeExecutor();
    });

    it("refuses a bridge it did not create, naming it, and changes nothing", async () => {
        const before = [extIds(BR), ports(BR), flows(BR)];
        await assert.rejects(
            p().create(inputs(BR)),
            new RegExp(
                `OvsBridge ${BR} on root@${HOST.replace(/\./g, "\\.")}:22: a bridge of that name exists that dvrlab did not create; set adopt: true to use it`,
            ),
        );
        await assert.rejects(p().create(inputs(BR, { failMode: "standalone" })), /did not create \(differing: failMode secure \(want standalone\)\)/);
        assert.deepEqual([extIds(BR), ports(BR), flows(BR)], before);
    });

    it("adopts it when asked: marked ours and adopted, its own external_ids, port and flow kept", async () => {
        const r = await p().create(inputs(BR, { adopt: true }));
        assert.equal(extIds(BR), `{bridge-id=${BR}, dvrlab-adopted="true", dvrlab-owner="dvrlab:itest/dev"}`);
        assert.equal(ports(BR), `${BR}-f`);
        assert.match(flows(BR), /^\s*cookie=0xf00d, priority=2,in_port=1 actions=drop$/m);
        // read: the host's own external_ids are not ours to report as drift… unless the user manages them
        const read = await p().read(r.id, { ...r.outs });
        assert.equal(read.props.owner, "dvrlab:itest/dev");
        assert.deepEqual(read.props.externalIds, { "bridge-id": BR });
        // an update (converge) keeps the host's external_ids too
        await p().update(r.id, r.outs, inputs(BR, { adopt: true }));
        assert.match(extIds(BR), /bridge-id=/);
    });

    it("destroy of an adopted bridge removes only dvrlab's marks: the bridge, its port and flow stay", async () => {
        await p().delete(`${HOST}/${BR}`, inputs(BR, { adopt: true }));
        assert.ok(exists(BR));
        assert.equal(extIds(BR), `{bridge-id=${BR}}`);
        assert.equal(ports(BR), `${BR}-f`);
        assert.match(flows(BR), /cookie=0xf00d/);
    });

    it("a bridge dvrlab created is deleted, and deleting it again succeeds", async () => {
        await p().create(inputs(MINE));
        assert.match(extIds(MINE), /^\{dvrlab-owner="dvrlab:itest\/dev"\}$/);
        await p().delete(`${HOST}/${MINE}`, inputs(MINE));
        assert.equal(exists(MINE), false);
        await p().delete(`${HOST}/${MINE}`, inputs(MINE));
    });
});
