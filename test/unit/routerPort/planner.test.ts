import { strict as assert } from "assert";
import { routerPortSchema } from "../../../provider/routerPort/schema";
import { conflicts, parseRouterPort, toInputs } from "../../../provider/routerPort/planner";
import { planInternalPort, planNsLink } from "../../../provider/netns/planner";

const spec = routerPortSchema.parse({
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    name: "qr-0a1b2c3d-4e",
    namespace: "qrouter-r1",
    tag: 2,
    mac: "FA:16:3E:00:20:01",
    address: "192.168.20.1/24",
});
const shown = (o: { tag?: any; mac?: string; addr?: string; tx?: string; host?: boolean } = {}) =>
    [
        "@@ns",
        "yes",
        "@@port",
        "br-int",
        JSON.stringify({ data: [[o.tag ?? 2, ["map", [["dvrlab-owner", "dvrlab:p/s"]]]]], headings: ["tag", "external_ids"] }),
        JSON.stringify({ data: [["internal", 5]], headings: ["type", "ofport"] }),
        "@@link",
        o.host
            ? "[]"
            : JSON.stringify([
                  {
                      ifname: spec.name,
                      flags: ["BROADCAST", "UP"],
                      mtu: 1450,
                      address: o.mac ?? "fa:16:3e:00:20:01",
                      addr_info: [{ family: "inet", local: o.addr ?? "192.168.20.1", prefixlen: 24 }],
                  },
              ]),
        "@@hostlink",
        o.host ? JSON.stringify([{ ifname: spec.name }]) : "[]",
        "@@tx",
        o.tx ?? "off",
        "",
    ].join("\n");

describe("RouterPort planner", () => {
    it("adds a tagged internal port, moves it into the namespace, gateway MAC before MTU, address and up, offload off", () => {
        assert.deepEqual(planInternalPort(spec, false), [
            [
                "ovs-vsctl",
                "--timeout=10",
                "--",
                "add-port",
                "br-int",
                "qr-0a1b2c3d-4e",
                "--",
                "set",
                "Interface",
                "qr-0a1b2c3d-4e",
                "type=internal",
                "--",
                "set",
                "Port",
                "qr-0a1b2c3d-4e",
                "tag=2",
                'external_ids:dvrlab-owner="dvrlab:p/s"',
            ],
        ]);
        const ns = ["ip", "-n", "qrouter-r1"];
        assert.deepEqual(planNsLink(spec, { inHostNamespace: true }, false), {
            cmds: [
                ["ip", "link", "set", "dev", "qr-0a1b2c3d-4e", "netns", "qrouter-r1"],
                [...ns, "link", "set", "dev", "qr-0a1b2c3d-4e", "address", "fa:16:3e:00:20:01"],
                [...ns, "link", "set", "dev", "qr-0a1b2c3d-4e", "mtu", "1450"],
                [...ns, "addr", "add", "192.168.20.1/24", "dev", "qr-0a1b2c3d-4e"],
                [...ns, "link", "set", "dev", "qr-0a1b2c3d-4e", "up"],
                ["ip", "netns", "exec", "qrouter-r1", "ethtool", "-K", "qr-0a1b2c3d-4e", "tx", "off"],
            ],
            moved: true,
            readdressed: true,
        });
    });

    it("reads a healthy port back as its inputs; MAC and address drift change in place", () => {
        const st = parseRouterPort(shown());
        assert.equal(st.port?.ofport, 5);
        assert.deepEqual(toInputs(st, spec), { ...spec, txChecksum: false });
        assert.deepEqual(conflicts(st, spec), []);
        const drift = parseRouterPort(shown({ tag: ["set", []], mac: "fa:16:3e:99:99:99", addr: "192.168.20.9" }));
        const r = toInputs(drift, spec);
        assert.deepEqual([r.tag, r.mac, r.address, r.namespace], [-1, "fa:16:3e:99:99:99", "192.168.20.9/24", "qrouter-r1"]);
        assert.deepEqual(planNsLink(spec, drift, false, false).cmds, [
            ["ip", "-n", "qrouter-r1", "link", "set", "dev", "qr-0a1b2c3d-4e", "address", "fa:16:3e:00:20:01"],
            ["ip", "-n", "qrouter-r1", "-4", "addr", "flush", "dev", "qr-0a1b2c3d-4e"],
            ["ip", "-n", "qrouter-r1", "addr", "add", "192.168.20.1/24", "dev", "qr-0a1b2c3d-4e"],
        ]);
        assert.deepEqual(conflicts(drift, spec), [
            "tag none (want 2)",
            "MAC fa:16:3e:99:99:99 (want fa:16:3e:00:20:01)",
            "addresses 192.168.20.9/24 (want 192.168.20.1/24)",
        ]);
    });

    it("a device back in the host's namespace reads as outside it", () => {
        const st = parseRouterPort(shown({ host: true }));
        assert.equal(st.inHostNamespace, true);
        assert.equal(toInputs(st, spec).namespace, "");
    });

    it("check: the address is a host address with its prefix; MAC; VLAN", () => {
        const bad = (x: any) => routerPortSchema.safeParse({ ...spec, ...x }).success === false;
        assert.ok(bad({ address: "192.168.20.0/24" }));
        assert.ok(bad({ address: "192.168.20.1" }));
        assert.ok(bad({ mac: "fa:16:3e:00:20" }));
        assert.ok(bad({ tag: 4096 }));
        assert.ok(bad({ namespace: "a/b" }));
    });

    it("a port elsewhere: other bridge, type, no device, no port at all; conflicts name each, inputs read as drift", () => {
        const other = shown().replace("@@port\nbr-int", "@@port\nbr-ex").replace('[["internal",5]]', '[["system",-1]]');
        const st = parseRouterPort(other);
        assert.deepEqual(st.port, { bridge: "br-ex", tag: 2, owner: "dvrlab:p/s", type: "system" }, "ofport -1: none");
        assert.deepEqual(conflicts(st, spec), ["on bridge br-ex (want br-int)", "type system (want internal)"]);
        const gone = parseRouterPort(["@@ns", "no", "@@port", "@@link", "[]", "@@hostlink", "[]", "@@tx", ""].join("\n"));
        assert.deepEqual([gone.namespace, gone.port, gone.link, gone.txChecksum], [false, undefined, undefined, undefined]);
        assert.deepEqual(conflicts(gone, spec), ["not in qrouter-r1"]);
        const r = toInputs(gone, { ...spec, txChecksum: false, mtu: 1400 });
        assert.deepEqual([r.owner, r.bridge, r.tag, r.namespace, r.mac, r.address, r.mtu, r.txChecksum], ["", "br-int", 2, "", "", "", 1400, false]);
        const noAddr = parseRouterPort(shown().replace(/"addr_info":\[[^\]]*\]/, '"addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64}]'));
        assert.deepEqual(noAddr.link!.addresses, []);
        assert.deepEqual(conflicts(noAddr, spec), ["addresses none (want 192.168.20.1/24)"]);
        assert.equal(toInputs(noAddr, spec).address, "");
        const two = parseRouterPort(
            shown().replace(
                /"addr_info":\[[^\]]*\]/,
                '"addr_info":[{"family":"inet","local":"192.168.20.9","prefixlen":24},{"family":"inet","local":"192.168.20.1","prefixlen":24}]',
            ),
        );
        assert.equal(toInputs(two, spec).address, "192.168.20.1/24", "the wanted one among several");
        const down = parseRouterPort(shown().replace('"flags":["BROADCAST","UP"]', '"flags":["BROADCAST"]').replace("@@tx\noff", "@@tx\non"));
        assert.deepEqual([down.link!.up, down.txChecksum, toInputs(down, spec).txChecksum], [false, true, true]);
    });
});
