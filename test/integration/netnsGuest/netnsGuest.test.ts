// NetnsGuest against a lab host: never harm what is not ours. A guest-shaped namespace and tap that
// dvrlab did not make (no owner alias on the tap) is refused and left alone; one it made is found
// again after a lost state and converged; deleting a missing guest succeeds.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-68"];
const id = process.pid % 10000;
const NS = `dvrlt-ng${id}`;
const TAP = `dvrlt-nt${id}`;
const sh = (script: string, ...args: string[]) => hostSh(HOST, script, ...args);
const alias = () => (JSON.parse(sh('ip -j link show dev "$1"', TAP).stdout)[0] ?? {}).ifalias;

describe("NetnsGuest on a lab host: an unmarked guest is refused, its own found again", function () {
    this.timeout(60_000);
    const p = () => provider("NetnsGuest", 1);
    const inputs = { connection: { host: HOST }, owner: "dvrlab:itest/dev", name: NS, tap: TAP, mac: "fa:16:3e:77:00:01", address: "192.168.77.5/24" };

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
    });
    after(() => {
        if (labIsUp) sh('ip netns delete "$1" 2>/dev/null; ip link del dev "$2" 2>/dev/null; true', NS, TAP);
        closeExecutor();
    });

    it("refuses a namespace with a veth to it that dvrlab did not make, naming host and guest; nothing changes", async () => {
        hostCheck(HOST, 'ip netns add "$1" && ip link add name "$2" type veth peer name eth0 netns "$1"', NS, TAP);
        await assert.rejects(p().create(inputs), {
            message:
                `NetnsGuest ${NS} (tap ${TAP}) on root@${HOST}:22: exists and dvrlab did not create it (no owner alias on ${TAP} (ip link alias)); ` +
                `dvrlab does not take it over: remove it (ip netns delete ${NS}; ip link del ${TAP}) or use another VM id`,
        });
        assert.equal(alias(), undefined);
        assert.doesNotMatch(hostCheck(HOST, 'ip -n "$1" addr show dev eth0', NS), /192\.168\.77\.5/);
        sh('ip netns delete "$1"; ip link del dev "$2" 2>/dev/null; true', NS, TAP);
    });

    it("one it made is found again after a lost state and converged; delete twice is fine", async () => {
        const r = await p().create(inputs);
        assert.equal(alias(), "dvrlab:itest/dev");
        hostCheck(HOST, 'ip -n "$1" addr flush dev eth0', NS);
        await p().create(inputs);
        assert.match(hostCheck(HOST, 'ip -n "$1" addr show dev eth0', NS), /inet 192\.168\.77\.5\/24/);
        await p().delete(r.id, r.outs);
        assert.equal(sh('test -e "/run/netns/$1"', NS).code, 1);
        await p().delete(r.id, r.outs);
    });
});
