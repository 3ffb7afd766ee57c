import { strict as assert } from "assert";
import { routerNamespaceSchema, qrouterNamespace } from "../../../provider/routerNamespace/schema";
import { parseNamespace, planConverge, planCreate, planDelete, toInputs } from "../../../provider/routerNamespace/planner";

const spec = routerNamespaceSchema.parse({ connection: { host: "h" }, owner: "dvrlab:p/s", name: "qrouter-r1" });
const shown = (o: { alias?: string; sysctl?: string; devices?: string }) =>
    [
        "@@ns",
        "yes",
        "@@lo",
        JSON.stringify([{ ifname: "lo", ...(o.alias ? { ifalias: o.alias } : {}) }]),
        "@@sysctl",
        o.sysctl ?? "1\n1\n2",
        "@@devices",
        o.devices ?? "",
        "",
    ].join("\n");

describe("RouterNamespace planner", () => {
    it("creates the namespace, lo up, marks lo's ifalias, sets Neutron's sysctls in one call", () => {
        assert.deepEqual(planCreate(spec), [
            ["ip", "netns", "add", "qrouter-r1"],
            ["ip", "-n", "qrouter-r1", "link", "set", "dev", "lo", "up"],
            ["ip", "-n", "qrouter-r1", "link", "set", "dev", "lo", "alias", "dvrlab:p/s"],
            [
                "ip",
                "netns",
                "exec",
                "qrouter-r1",
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.arp_ignore=1",
                "net.ipv4.conf.all.arp_announce=2",
            ],
        ]);
    });

    it("reads owner, sysctls and devices with their OVS owner; converges only what differs", () => {
        const st = parseNamespace(shown({ alias: "dvrlab:p/s", sysctl: "0\n1\n2", devices: 'qr-a "dvrlab:p/s"\nveth0 ' }))!;
        assert.deepEqual(st, {
            owner: "dvrlab:p/s",
            sysctls: { ipForward: 0, arpIgnore: 1, arpAnnounce: 2 },
            devices: [
                { name: "qr-a", owner: "dvrlab:p/s" },
                { name: "veth0", owner: "" },
            ],
        });
        assert.deepEqual(toInputs(st, spec), { ...spec, ipForward: false });
        assert.deepEqual(planConverge(st, spec), [["ip", "netns", "exec", "qrouter-r1", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]]);
        assert.deepEqual(planConverge(parseNamespace(shown({ alias: "dvrlab:p/s" }))!, spec), []);
        assert.equal(parseNamespace("@@ns\nno\n"), undefined);
    });

    it("delete unplugs our ports still inside, then the namespace", () => {
        assert.deepEqual(planDelete("qrouter-r1", ["qr-a"]), [
            ["ovs-vsctl", "--timeout=10", "--if-exists", "del-port", "qr-a"],
            ["ip", "netns", "delete", "qrouter-r1"],
        ]);
    });

    it("names: qrouter-<id> within 63 characters, nothing a shell or path would read", () => {
        assert.equal(qrouterNamespace("9f0e3c1a-7d2b-4e5f-8a6b-1c2d3e4f5a6b"), "qrouter-9f0e3c1a-7d2b-4e5f-8a6b-1c2d3e4f5a6b");
        assert.throws(() => qrouterNamespace("R1"), /lower-case/);
        assert.throws(() => qrouterNamespace("r".repeat(56)), /at most 55/);
        for (const bad of ["a/b", "..", "x y", "n".repeat(64), "-x"]) assert.equal(routerNamespaceSchema.safeParse({ ...spec, name: bad }).success, false, bad);
    });

    it("unreadable sysctls stay as stored; no lo alias is no owner; another owner is re-marked", () => {
        const st = parseNamespace(shown({ sysctl: "x\n 1 \n", devices: '  \nqr-b   "dvrlab:o/t"  \n' }))!;
        assert.deepEqual(st, { sysctls: { arpIgnore: 1 }, devices: [{ name: "qr-b", owner: "dvrlab:o/t" }] });
        const r = toInputs(st, { ...spec, ipForward: true, arpAnnounce: 2 });
        assert.deepEqual([r.owner, r.ipForward, r.arpIgnore, r.arpAnnounce], ["", true, 1, 2]);
        assert.equal(toInputs({ sysctls: { ipForward: 1, arpAnnounce: 0 }, devices: [] }, spec).ipForward, true);
        assert.equal(toInputs({ sysctls: { ipForward: 1, arpAnnounce: 0 }, devices: [] }, spec).arpAnnounce, 0);
        assert.deepEqual(planConverge({ owner: "dvrlab:o/t", sysctls: { ipForward: 1, arpIgnore: 1, arpAnnounce: 2 }, devices: [] }, spec), [
            ["ip", "-n", "qrouter-r1", "link", "set", "dev", "lo", "alias", "dvrlab:p/s"],
        ]);
        const off = routerNamespaceSchema.parse({ ...spec, ipForward: false, arpIgnore: 0, arpAnnounce: 0 });
        assert.deepEqual(planConverge({ owner: "dvrlab:p/s", sysctls: { ipForward: 1, arpIgnore: 1, arpAnnounce: 2 }, devices: [] }, off), [
            [
                "ip",
                "netns",
                "exec",
                "qrouter-r1",
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=0",
                "net.ipv4.conf.all.arp_ignore=0",
                "net.ipv4.conf.all.arp_announce=0",
            ],
        ]);
        assert.deepEqual(planDelete("qrouter-r1", []), [["ip", "netns", "delete", "qrouter-r1"]]);
    });
});
