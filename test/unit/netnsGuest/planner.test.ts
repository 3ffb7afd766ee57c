import { strict as assert } from "assert";
import { asScript, parseGuest, planConverge, planCreate, planDelete, toInputs } from "../../../provider/netnsGuest/planner";
import { netnsGuestSchema } from "../../../provider/netnsGuest/schema";

const g = netnsGuestSchema.parse({
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    name: "vm-v2",
    tap: "tap-v2",
    bridge: "qbr-v2",
    mac: "FA:16:3E:00:01:02",
    address: "192.168.10.11/24",
});

// The shapes `ip -d -j link show` (host end, peer in the guest's namespace) and `ip -j addr show` print.
const TAP = JSON.stringify([
    {
        ifindex: 40,
        link_index: 2,
        ifname: "tap-v2",
        flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        mtu: 1450,
        master: "qbr-v2",
        ifalias: "dvrlab:p/s",
        link_netnsid: 3,
        linkinfo: { info_kind: "veth" },
    },
]);
const NIC = JSON.stringify([
    {
        ifindex: 2,
        link_index: 40,
        ifname: "eth0",
        flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        mtu: 1450,
        address: "fa:16:3e:00:01:02",
        addr_info: [
            { family: "inet", local: "192.168.10.11", prefixlen: 24 },
            { family: "inet6", local: "fe80::1", prefixlen: 64 },
        ],
    },
]);

describe("NetnsGuest planner", () => {
    it("creates namespace, veth with the guest end inside, MAC/MTU/address, tx off, tap in the bridge", () => {
        const cmds = planCreate(g).map((a) => a.join(" "));
        assert.equal(cmds[0], "ip netns add vm-v2");
        assert.ok(cmds.includes("ip link add name tap-v2 mtu 1450 type veth peer name eth0 netns vm-v2"));
        assert.ok(cmds.includes("ip -n vm-v2 link set dev eth0 address fa:16:3e:00:01:02 mtu 1450"));
        assert.ok(cmds.includes("ip -n vm-v2 addr add 192.168.10.11/24 dev eth0"));
        assert.ok(cmds.includes("ethtool -K tap-v2 tx off") && cmds.includes("ip netns exec vm-v2 ethtool -K eth0 tx off"));
        assert.ok(cmds.indexOf("ip link set dev tap-v2 master qbr-v2") < cmds.indexOf("ip link set dev tap-v2 up"));
        const script = asScript(planCreate(g));
        assert.deepEqual(script.slice(0, 2), ["sh", "-c"]);
        assert.match(script[2], /^set -e\nip netns add vm-v2\n/);
    });

    it("parses a complete guest and converges nothing when it matches", () => {
        const st = parseGuest(`@@netns\nyes\n@@tap\n${TAP}\noff\n@@nic\n${NIC}\n`);
        assert.equal(st.netns, true);
        assert.deepEqual(st.tap, { isVeth: true, alias: "dvrlab:p/s", master: "qbr-v2", up: true, mtu: 1450, txOff: true, peerInNs: true });
        assert.deepEqual(st.nic, { mac: "fa:16:3e:00:01:02", mtu: 1450, up: true, addresses: ["192.168.10.11/24"] });
        assert.deepEqual(planConverge(st, g), []);
    });

    it("repairs drift in place: address, MAC, bridge", () => {
        const st = parseGuest(
            `@@netns\nyes\n@@tap\n${TAP.replace('"master":"qbr-v2",', "")}\non\n@@nic\n${NIC.replace("192.168.10.11", "192.168.10.99").replace("fa:16:3e:00:01:02", "fa:16:3e:00:01:09")}\n`,
        );
        const cmds = planConverge(st, g).map((a) => a.join(" "));
        assert.deepEqual(cmds, [
            "ethtool -K tap-v2 tx off",
            "ip -n vm-v2 link set dev eth0 address fa:16:3e:00:01:02 mtu 1450",
            "ip -n vm-v2 addr del 192.168.10.99/24 dev eth0",
            "ip -n vm-v2 addr add 192.168.10.11/24 dev eth0",
            "ip link set dev tap-v2 master qbr-v2",
        ]);
    });

    it("parses a missing guest, and delete tolerates absence", () => {
        const st = parseGuest("@@netns\nno\n@@tap\nnull\n@@nic\nnull\n");
        assert.deepEqual(st, { netns: false });
        assert.match(planDelete(g)[0][2], /if \[ -e "\/run\/netns\/\$1" \]; then ip netns delete "\$1"; fi; if ip link show dev "\$2"/);
    });

    it("every drift converged in order; read back as inputs; a guest without a bridge", () => {
        const out = (tap: object, nic: object, tx = "on") =>
            ["@@netns", "yes", "@@tap", JSON.stringify([tap]), tx, "@@nic", JSON.stringify([nic]), ""].join("\n");
        const st = parseGuest(
            out(
                { ifname: "tap-v2", flags: ["BROADCAST"], mtu: 1500, master: "br-x", linkinfo: { info_kind: "veth" } },
                { ifname: "eth0", flags: [], mtu: 1500, address: "FA:16:3E:00:09:09", addr_info: [{ family: "inet", local: "10.0.0.9", prefixlen: 8 }] },
            ),
        );
        assert.deepEqual(st, {
            netns: true,
            tap: { isVeth: true, alias: undefined, master: "br-x", up: false, mtu: 1500, txOff: false, peerInNs: false },
            nic: { mac: "fa:16:3e:00:09:09", mtu: 1500, up: false, addresses: ["10.0.0.9/8"] },
        });
        assert.deepEqual(planConverge(st, g), [
            ["ip", "link", "set", "dev", "tap-v2", "alias", "dvrlab:p/s"],
            ["ethtool", "-K", "tap-v2", "tx", "off"],
            ["ip", "link", "set", "dev", "tap-v2", "mtu", "1450"],
            ["ip", "-n", "vm-v2", "link", "set", "dev", "eth0", "address", "fa:16:3e:00:01:02", "mtu", "1450"],
            ["ip", "-n", "vm-v2", "addr", "del", "10.0.0.9/8", "dev", "eth0"],
            ["ip", "-n", "vm-v2", "addr", "add", "192.168.10.11/24", "dev", "eth0"],
            ["ip", "-n", "vm-v2", "link", "set", "dev", "eth0", "up"],
            ["ip", "link", "set", "dev", "tap-v2", "master", "qbr-v2"],
            ["ip", "link", "set", "dev", "tap-v2", "up"],
        ]);
        const r = toInputs(st, g);
        assert.deepEqual([r.owner, r.mac, r.mtu, r.address, r.bridge], ["", "fa:16:3e:00:09:09", 1500, "10.0.0.9/8", "br-x"]);
        const noBridge = netnsGuestSchema.parse({ ...g, bridge: undefined });
        const loose = { ...st, tap: { ...st.tap!, master: undefined } };
        assert.equal("bridge" in toInputs(loose, g), false);
        assert.deepEqual(
            planConverge({ ...st, tap: { ...st.tap!, master: "br-x" } }, noBridge).filter((c) => c.includes("nomaster")),
            [["ip", "link", "set", "dev", "tap-v2", "nomaster"]],
        );
        const none = parseGuest(["@@netns", "no", "@@tap", "null", "@@nic", "null", ""].join("\n"));
        assert.deepEqual(none, { netns: false });
        const noAddr = toInputs({ ...st, nic: { ...st.nic!, addresses: [] } }, g);
        assert.equal(noAddr.address, "0.0.0.0/32");
        const two = toInputs({ ...st, nic: { ...st.nic!, addresses: ["192.168.10.11/24", "10.0.0.9/8"] } }, g);
        assert.equal(two.address, "192.168.10.11/24", "the first when there are several (drift either way)");
    });
});
