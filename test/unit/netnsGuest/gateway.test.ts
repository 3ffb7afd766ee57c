import { strict as assert } from "assert";
import { parseGuest, planConverge, planCreate, toInputs } from "../../../provider/netnsGuest/planner";
import { netnsGuestSchema } from "../../../provider/netnsGuest/schema";

// A netns guest on a routed network has a default route via the gateway (what DHCP option 3 gives a VM).
const base = {
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    name: "ex-ga",
    tap: "tap-ga",
    bridge: "qbr-ga",
    mac: "fa:16:3e:11:00:0a",
    address: "192.168.110.10/24",
};
const routed = netnsGuestSchema.parse({ ...base, gateway: "192.168.110.1" });
const plain = netnsGuestSchema.parse(base);

const TAP = JSON.stringify([
    { ifname: "tap-ga", flags: ["UP"], mtu: 1450, master: "qbr-ga", ifalias: "dvrlab:p/s", link_netnsid: 0, linkinfo: { info_kind: "veth" } },
]);
const NIC = JSON.stringify([
    { ifname: "eth0", flags: ["UP"], mtu: 1450, address: "fa:16:3e:11:00:0a", addr_info: [{ family: "inet", local: "192.168.110.10", prefixlen: 24 }] },
]);
const ROUTE = JSON.stringify([{ dst: "default", gateway: "192.168.110.1", dev: "eth0", flags: [] }]);
const state = (route: string) => parseGuest(`@@netns\nyes\n@@tap\n${TAP}\noff\n@@nic\n${NIC}\n@@route\n${route}\n`);

describe("NetnsGuest default route", () => {
    it("is added after the address, only when a gateway is given", () => {
        const cmds = planCreate(routed).map((a) => a.join(" "));
        const route = cmds.indexOf("ip -n ex-ga route replace default via 192.168.110.1 dev eth0");
        assert.ok(
            route > cmds.indexOf("ip -n ex-ga addr add 192.168.110.10/24 dev eth0") && route > cmds.indexOf("ip -n ex-ga link set dev eth0 up"),
            cmds.join("\n"),
        );
        assert.equal(planCreate(plain).filter((a) => a.includes("route")).length, 0);
    });

    it("is read back, converged when missing or different, removed when no longer wanted", () => {
        assert.equal(state(ROUTE).gateway, "192.168.110.1");
        assert.equal(state("[]").gateway, undefined);
        assert.deepEqual(planConverge(state(ROUTE), routed), []);
        assert.deepEqual(planConverge(state("[]"), routed), [["ip", "-n", "ex-ga", "route", "replace", "default", "via", "192.168.110.1", "dev", "eth0"]]);
        assert.deepEqual(planConverge(state(ROUTE.replace("110.1", "110.254")), routed), [
            ["ip", "-n", "ex-ga", "route", "replace", "default", "via", "192.168.110.1", "dev", "eth0"],
        ]);
        assert.deepEqual(planConverge(state(ROUTE), plain), [["ip", "-n", "ex-ga", "route", "del", "default"]]);
        assert.equal(toInputs(state(ROUTE), plain).gateway, "192.168.110.1");
        assert.equal("gateway" in toInputs(state("[]"), routed), false);
    });

    it("must be an IPv4 address", () => {
        assert.equal(netnsGuestSchema.safeParse({ ...base, gateway: "192.168.110.1/24" }).success, false);
    });
});
