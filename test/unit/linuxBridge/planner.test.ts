import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { linuxBridgeSchema } from "../../../provider/linuxBridge/schema";
import { parseLink, planConverge, planCreate, planDelete, toInputs } from "../../../provider/linuxBridge/planner";

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "../../fixtures", f), "utf8");
const spec = linuxBridgeSchema.parse({
    connection: { host: "10.0.0.1" },
    owner: "dvrlab:proj/dev",
    name: "qbr-cirros",
});

describe("LinuxBridge planner", () => {
    it("creates like the seed: stp off, forward delay 0, no multicast snooping, marked, up", () => {
        assert.deepEqual(planCreate(spec), [
            ["ip", "link", "add", "name", "qbr-cirros", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"],
            ["ip", "link", "set", "dev", "qbr-cirros", "alias", "dvrlab:proj/dev"],
            ["ip", "link", "set", "dev", "qbr-cirros", "up"],
        ]);
    });

    it("converges only what differs", () => {
        const cur = { isBridge: true, stp: false, forwardDelay: 0, multicastSnooping: true, up: true, mtu: 1500, alias: "dvrlab:proj/dev" };
        assert.deepEqual(planConverge(cur, spec), [
            ["ip", "link", "set", "dev", "qbr-cirros", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"],
        ]);
        assert.deepEqual(planConverge({ ...cur, multicastSnooping: false }, spec), []);
        assert.deepEqual(planConverge({ ...cur, multicastSnooping: false, up: false, alias: undefined }, spec), [
            ["ip", "link", "set", "dev", "qbr-cirros", "alias", "dvrlab:proj/dev"],
            ["ip", "link", "set", "dev", "qbr-cirros", "up"],
        ]);
    });

    it("sets nf_call_iptables only when asked", () => {
        const s = linuxBridgeSchema.parse({ ...spec, nfCallIptables: true });
        assert.ok(planCreate(s)[0].join(" ").endsWith("nf_call_iptables 1"));
    });

    it("sets, converges and reports the MTU only when asked (the network's, as Nova sets it on qbr)", () => {
        const s = linuxBridgeSchema.parse({ ...spec, mtu: 1450 });
        assert.deepEqual(planCreate(s)[0], [
            "ip",
            "link",
            "add",
            "name",
            "qbr-cirros",
            "mtu",
            "1450",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ]);
        const cur = { isBridge: true, stp: false, forwardDelay: 0, multicastSnooping: false, up: true, mtu: 1500, alias: "dvrlab:proj/dev" };
        assert.deepEqual(planConverge(cur, s), [["ip", "link", "set", "dev", "qbr-cirros", "mtu", "1450"]]);
        assert.deepEqual(planConverge({ ...cur, mtu: 1450 }, s), []);
        assert.deepEqual(planConverge(cur, spec), [], "unset: the host's MTU is left alone");
        assert.equal(toInputs(cur, s).mtu, 1500, "read reports drift of a managed MTU");
        assert.equal("mtu" in toInputs(cur, spec), false, "and nothing for an unmanaged one");
        assert.throws(() => linuxBridgeSchema.parse({ ...spec, mtu: 67 }));
        assert.throws(() => linuxBridgeSchema.parse({ ...spec, mtu: 65536 }));
        assert.equal(linuxBridgeSchema.parse({ ...spec, mtu: 68 }).mtu, 68);
    });

    it("deletes by name", () => {
        assert.deepEqual(planDelete("qbr-x"), [["ip", "link", "del", "dev", "qbr-x"]]);
    });

    it("parses real `ip -d -j link show` output of a bridge and of a veth", () => {
        const b = parseLink(fixture("ip-link-bridge.json"));
        assert.deepEqual(
            { ...b },
            { isBridge: true, stp: false, forwardDelay: 0, multicastSnooping: false, up: true, nfCallIptables: false, mtu: 1500, alias: "dvrlab:proj/dev" },
        );
        assert.equal(parseLink(fixture("ip-link-veth.json")).isBridge, false);
        assert.deepEqual(toInputs(b, spec), { ...spec, owner: "dvrlab:proj/dev", up: true });
    });

    it("STP on, a 15 s delay, snooping on, nf_call_iptables: parsed, created and converged (STP off first), each drift alone", () => {
        const on = parseLink(
            JSON.stringify([
                {
                    ifname: "qbr-x",
                    flags: ["BROADCAST"],
                    mtu: 1450,
                    linkinfo: { info_kind: "bridge", info_data: { stp_state: 1, forward_delay: 1500, mcast_snooping: 1, nf_call_iptables: 1 } },
                },
            ]),
        );
        assert.deepEqual(
            { ...on },
            { isBridge: true, stp: true, forwardDelay: 15, multicastSnooping: true, up: false, nfCallIptables: true, mtu: 1450, alias: undefined },
        );
        const bare = parseLink(JSON.stringify({ ifname: "qbr-x", mtu: 1500 }));
        assert.deepEqual(
            { ...bare },
            { isBridge: false, stp: false, forwardDelay: 0, multicastSnooping: true, up: false, nfCallIptables: undefined, mtu: 1500, alias: undefined },
        );
        assert.throws(() => parseLink("[]"), /^Error: ip returned no link$/);
        const stp = linuxBridgeSchema.parse({ ...spec, stp: true, forwardDelay: 15, multicastSnooping: true, nfCallIptables: false, up: false });
        assert.deepEqual(planCreate(stp), [
            [
                "ip",
                "link",
                "add",
                "name",
                "qbr-cirros",
                "type",
                "bridge",
                "stp_state",
                "1",
                "forward_delay",
                "1500",
                "mcast_snooping",
                "1",
                "nf_call_iptables",
                "0",
            ],
            ["ip", "link", "set", "dev", "qbr-cirros", "alias", "dvrlab:proj/dev"],
        ]);
        const cur = { ...on, alias: "dvrlab:proj/dev", up: true };
        assert.deepEqual(planConverge(cur, spec), [
            ["ip", "link", "set", "dev", "qbr-cirros", "type", "bridge", "stp_state", "0"],
            ["ip", "link", "set", "dev", "qbr-cirros", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"],
        ]);
        const same = { ...cur, nfCallIptables: false };
        assert.deepEqual(planConverge(same, stp), [["ip", "link", "set", "dev", "qbr-cirros", "down"]]);
        assert.deepEqual(planConverge({ ...same, forwardDelay: 2 }, stp).length, 2, "forward delay alone");
        assert.deepEqual(planConverge({ ...same, multicastSnooping: false }, stp).length, 2, "snooping alone");
        assert.deepEqual(planConverge({ ...same, nfCallIptables: true }, stp).length, 2, "nf_call_iptables alone");
        assert.deepEqual(
            planConverge({ ...same, nfCallIptables: true }, { ...stp, nfCallIptables: undefined }).length,
            1,
            "unmanaged nf_call_iptables: no drift",
        );
        assert.deepEqual(
            planConverge({ ...same, stp: false }, stp)[0],
            [
                "ip",
                "link",
                "set",
                "dev",
                "qbr-cirros",
                "type",
                "bridge",
                "stp_state",
                "1",
                "forward_delay",
                "1500",
                "mcast_snooping",
                "1",
                "nf_call_iptables",
                "0",
            ],
            "turning STP on: one command",
        );
        const r = toInputs({ ...on, alias: undefined }, { ...stp, nfCallIptables: false });
        assert.deepEqual([r.owner, r.stp, r.forwardDelay, r.multicastSnooping, r.up, r.nfCallIptables], ["", true, 15, true, false, true]);
        assert.equal("nfCallIptables" in toInputs(on, spec), false);
    });
});
