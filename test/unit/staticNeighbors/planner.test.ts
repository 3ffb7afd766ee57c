import { strict as assert } from "assert";
import { staticNeighborsSchema } from "../../../provider/staticNeighbors/schema";
import { foreignConflicts, parseNeighbors, permanentAmong, planChange } from "../../../provider/staticNeighbors/planner";

const spec = staticNeighborsSchema.parse({
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    namespace: "qrouter-r1",
    device: "qr-a",
    entries: [
        { ip: "192.168.10.12", mac: "FA:16:3E:00:00:12" },
        { ip: "192.168.10.9", mac: "fa:16:3e:00:00:09" },
    ],
});
// `ip -j -4 neigh show dev qr-a` as iproute2 6.1 prints it
const shown = (list: any[]) => ["@@ns", "yes", "@@dev", "yes", "@@neigh", JSON.stringify(list), ""].join("\n");
const perm = (ip: string, mac: string) => ({ dst: ip, lladdr: mac, state: ["PERMANENT"] });

describe("StaticNeighbors planner", () => {
    it("a set: sorted by address, MACs lower-case, an address once", () => {
        assert.deepEqual(spec.entries, [
            { ip: "192.168.10.9", mac: "fa:16:3e:00:00:09" },
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" },
        ]);
        const r = staticNeighborsSchema.safeParse({ ...spec, entries: [...spec.entries, { ip: "192.168.10.9", mac: "fa:16:3e:00:00:10" }] });
        assert.equal(r.success, false);
        assert.match(JSON.stringify(r.error!.issues), /192\.168\.10\.9 appears more than once/);
    });

    it("creates all in one ip -batch inside the namespace", () => {
        const st = parseNeighbors(shown([{ dst: "192.168.10.12", lladdr: "fa:16:3e:00:00:77", state: ["STALE"] }]));
        assert.deepEqual(planChange(spec, st, spec.entries, []), {
            argv: ["ip", "-n", "qrouter-r1", "-batch", "-"],
            stdin: "neigh replace 192.168.10.9 lladdr fa:16:3e:00:00:09 dev qr-a nud permanent\nneigh replace 192.168.10.12 lladdr fa:16:3e:00:00:12 dev qr-a nud permanent\n",
        });
        assert.deepEqual(foreignConflicts(st, spec.entries, []), [], "a learnt entry is not anybody's");
    });

    it("update changes exactly the changed entries; removes ours only while still as we set them", () => {
        const st = parseNeighbors(
            shown([perm("192.168.10.9", "fa:16:3e:00:00:09"), perm("192.168.10.12", "fa:16:3e:00:00:12"), perm("192.168.10.50", "fa:16:3e:00:00:50")]),
        );
        assert.deepEqual(permanentAmong(st, ["192.168.10.12", "192.168.10.9"]), spec.entries);
        const next = [{ ip: "192.168.10.12", mac: "fa:16:3e:00:00:99" }];
        assert.equal(
            planChange(spec, st, next, spec.entries)!.stdin,
            "neigh del 192.168.10.9 dev qr-a\nneigh replace 192.168.10.12 lladdr fa:16:3e:00:00:99 dev qr-a nud permanent\n",
        );
        assert.equal(planChange(spec, st, spec.entries, spec.entries), undefined, "nothing to do");
        const moved = parseNeighbors(shown([perm("192.168.10.9", "fa:16:3e:00:00:01")]));
        assert.equal(planChange(spec, moved, [], spec.entries), undefined, "changed by someone since: not ours to delete");
        assert.deepEqual(foreignConflicts(st, [{ ip: "192.168.10.50", mac: "fa:16:3e:00:00:51" }], spec.entries), [
            "192.168.10.50 is permanent at fa:16:3e:00:00:50 (want fa:16:3e:00:00:51)",
        ]);
    });

    it("the host's namespace when none is given; a missing device reads as gone", () => {
        assert.deepEqual(planChange({ device: "qr-a" }, parseNeighbors(shown([])), spec.entries.slice(0, 1), [])!.argv, ["ip", "-batch", "-"]);
        const st = parseNeighbors("@@ns\nyes\n@@dev\nno\n");
        assert.deepEqual([st.namespace, st.device], [true, false]);
    });

    it("reads only permanent entries with a MAC among the wanted addresses, numerically sorted; names foreign permanent entries", () => {
        const st = parseNeighbors(
            shown([
                perm("192.168.10.100", "FA:16:3E:00:01:00"),
                perm("192.168.10.12", "fa:16:3e:00:00:12"),
                { dst: "192.168.10.9", lladdr: "fa:16:3e:00:00:09", state: ["REACHABLE"] },
                { dst: "192.168.10.20", state: ["PERMANENT"] },
                { dst: "192.168.10.21", lladdr: "fa:16:3e:00:00:21" },
            ]),
        );
        assert.deepEqual(st.neighbors, [
            { ip: "192.168.10.100", mac: "fa:16:3e:00:01:00", permanent: true },
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12", permanent: true },
            { ip: "192.168.10.9", mac: "fa:16:3e:00:00:09", permanent: false },
            { ip: "192.168.10.20", mac: undefined, permanent: true },
            { ip: "192.168.10.21", mac: "fa:16:3e:00:00:21", permanent: false },
        ]);
        assert.deepEqual(permanentAmong(st, ["192.168.10.100", "192.168.10.12", "192.168.10.9", "192.168.10.20", "192.168.10.21"]), [
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" },
            { ip: "192.168.10.100", mac: "fa:16:3e:00:01:00" },
        ]);
        assert.deepEqual(permanentAmong(st, ["192.168.10.12"]), [{ ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" }]);
        const wanted = [
            { ip: "192.168.10.100", mac: "fa:16:3e:00:01:01" },
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" },
            { ip: "192.168.10.9", mac: "fa:16:3e:00:00:99" },
        ];
        assert.deepEqual(foreignConflicts(st, wanted, []), ["192.168.10.100 is permanent at fa:16:3e:00:01:00 (want fa:16:3e:00:01:01)"]);
        assert.deepEqual(foreignConflicts(st, wanted, [{ ip: "192.168.10.100", mac: "fa:16:3e:00:01:00" }]), [], "ours: ours to change");
        const none = parseNeighbors(["@@ns", "no", "@@dev", "no", "@@neigh", ""].join("\n"));
        assert.deepEqual(none, { namespace: false, device: false, neighbors: [] });
        assert.equal(
            planChange({ namespace: "qrouter-r1", device: "qr-a" }, st, [{ ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" }], []),
            undefined,
            "nothing to change",
        );
    });
});
