import { strict as assert } from "assert";
import { asScript, parseGuest, planConverge, planCreate, planDelete, showGuest, toInputs } from "../../../provider/netnsGuest/planner";
import { netnsGuestSchema } from "../../../provider/netnsGuest/schema";
import { Argv } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";

// The plans run for real, inside a private network and mount namespace (unshare -m -n, a tmpfs on
// /run/netns): real ip/ethtool/veth/bridge, nothing of the machine's own network touched, so it
// can run in parallel with itself (Stryker runs two).

/** Runs the steps in a fresh private namespace; returns each step's stdout, in order (a failing step fails). */
const inPrivateNetWith = (setup: string, steps: Argv[]) => inPrivateNet(steps, { setup });

const g = netnsGuestSchema.parse({
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    name: "vm-v2",
    tap: "tap-v2",
    bridge: "qbr-v2",
    mac: "FA:16:3E:00:01:02",
    address: "192.168.10.11/24",
    gateway: "192.168.10.1",
    mtu: 1400,
});

describe("NetnsGuest plans on real veths in a private namespace", () => {
    it("create, then read back: the inputs, nothing to converge; delete leaves nothing", () => {
        const [created, shown, deleted, gone] = inPrivateNetWith("ip link add qbr-v2 type bridge", [
            asScript(planCreate(g)),
            showGuest(g),
            planDelete(g)[0],
            showGuest(g),
        ]);
        assert.match(created, /^tx-checksum-ip-generic: off$/m, "ethtool turned tx checksumming off");
        const st = parseGuest(shown);
        assert.deepEqual(st, {
            netns: true,
            tap: { isVeth: true, alias: "dvrlab:p/s", master: "qbr-v2", up: true, mtu: 1400, txOff: true, peerInNs: true },
            nic: { mac: "fa:16:3e:00:01:02", mtu: 1400, up: true, addresses: ["192.168.10.11/24"] },
            gateway: "192.168.10.1",
        });
        assert.deepEqual(planConverge(st, g), []);
        assert.deepEqual(toInputs(st, g), g);
        assert.equal(deleted, "");
        assert.deepEqual(parseGuest(gone), { netns: false });
    });

    it("converges drift made by hand back to the inputs", () => {
        const drift = [
            "ip link set dev tap-v2 nomaster",
            "ip link set dev tap-v2 alias someone",
            "ip link set dev tap-v2 mtu 1500",
            "ip -n vm-v2 addr add 10.0.0.9/8 dev eth0",
            "ip -n vm-v2 addr del 192.168.10.11/24 dev eth0",
            "ip -n vm-v2 link set dev eth0 down",
            "ip -n vm-v2 link set dev eth0 address fa:16:3e:00:09:09",
            "ethtool -K tap-v2 tx on",
        ].join("\n");
        const plain = netnsGuestSchema.parse({ ...g, gateway: undefined });
        // create without the gateway, drift, show; then converge (planned from what was shown) and show again
        const [, , before] = inPrivateNetWith(`ip link add qbr-v2 type bridge`, [asScript(planCreate(plain)), asScript([["sh", "-c", drift]]), showGuest(g)]);
        const st = parseGuest(before);
        assert.deepEqual(st.tap, { isVeth: true, alias: "someone", master: undefined, up: true, mtu: 1500, txOff: false, peerInNs: true });
        assert.deepEqual(st.nic, { mac: "fa:16:3e:00:09:09", mtu: 1400, up: false, addresses: ["10.0.0.9/8"] });
        assert.equal(st.gateway, undefined);
        const fix = planConverge(st, g);
        assert.deepEqual(
            fix.map((c) => c.join(" ")),
            [
                "ip link set dev tap-v2 alias dvrlab:p/s",
                "ethtool -K tap-v2 tx off",
                "ip link set dev tap-v2 mtu 1400",
                "ip -n vm-v2 link set dev eth0 address fa:16:3e:00:01:02 mtu 1400",
                "ip -n vm-v2 addr del 10.0.0.9/8 dev eth0",
                "ip -n vm-v2 addr add 192.168.10.11/24 dev eth0",
                "ip -n vm-v2 link set dev eth0 up",
                "ip -n vm-v2 route replace default via 192.168.10.1 dev eth0",
                "ip link set dev tap-v2 master qbr-v2",
            ],
        );
        const [, , , after] = inPrivateNetWith(`ip link add qbr-v2 type bridge`, [
            asScript(planCreate(plain)),
            asScript([["sh", "-c", drift]]),
            asScript(fix),
            showGuest(g),
        ]);
        const fixed = parseGuest(after);
        assert.deepEqual(planConverge(fixed, g), []);
        assert.deepEqual(toInputs(fixed, g), g);
    });

    it("delete removes the namespace and a tap left in the host, and tolerates their absence", () => {
        const [, , shown] = inPrivateNetWith("ip netns add vm-v2; ip link add tap-v2 type veth peer name x0", [
            planDelete(g)[0],
            planDelete(g)[0],
            showGuest(g),
        ]);
        assert.deepEqual(parseGuest(shown), { netns: false });
    });
});
