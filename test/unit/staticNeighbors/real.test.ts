import { strict as assert } from "assert";
import { staticNeighborsSchema } from "../../../provider/staticNeighbors/schema";
import { parseNeighbors, permanentAmong, planChange, showNeighbors } from "../../../provider/staticNeighbors/planner";
import { shellJoin } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";

// showNeighbors and the ip -batch of planChange run for real inside a private network and mount
// namespace (unshare, a tmpfs on /run/netns): in a named namespace and in the (private) host one.

/** Runs shell steps in a fresh private namespace; each step's stdout, in order. `stdin` feeds the step given. */
const heredoc = (argv: readonly string[], stdin: string) => `${shellJoin(argv)} <<'EOF'\n${stdin}EOF`;

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
const NS =
    "ip netns add qrouter-r1 && ip -n qrouter-r1 link add qr-a type veth peer name qr-b && ip -n qrouter-r1 link set qr-a up && ip -n qrouter-r1 link set qr-b up";

describe("StaticNeighbors on real neighbor tables in a private namespace", () => {
    it("a missing namespace, then a missing device, read as gone", () => {
        const [noNs, noDev] = inPrivateNet([shellJoin(showNeighbors(spec)), `ip netns add qrouter-r1 && ${shellJoin(showNeighbors(spec))}`]);
        assert.equal(noNs, "@@ns\nno\n");
        assert.deepEqual(parseNeighbors(noNs), { namespace: false, device: false, neighbors: [] });
        assert.equal(noDev, "@@ns\nyes\n@@dev\nno\n");
        assert.deepEqual(parseNeighbors(noDev), { namespace: true, device: false, neighbors: [] });
    });

    it("created in one ip -batch, read back; then a learnt entry is overwritten and a removed one deleted", () => {
        const st0 = { namespace: true, device: true, neighbors: [] };
        const create = planChange(spec, st0, spec.entries, [])!;
        assert.deepEqual(create.argv, ["ip", "-n", "qrouter-r1", "-batch", "-"]);
        const [, , shown] = inPrivateNet([NS, heredoc(create.argv, create.stdin), shellJoin(showNeighbors(spec))]);
        const st = parseNeighbors(shown);
        assert.deepEqual([st.namespace, st.device], [true, true]);
        assert.deepEqual(permanentAmong(st, ["192.168.10.9", "192.168.10.12", "192.168.10.99"]), [
            { ip: "192.168.10.9", mac: "fa:16:3e:00:00:09" },
            { ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" },
        ]);
        assert.equal(planChange(spec, st, spec.entries, spec.entries), undefined, "nothing to change");
        // a learnt (reachable) entry for .12 with another MAC, then we want only .12
        const learnt = "ip -n qrouter-r1 neigh replace 192.168.10.12 lladdr fa:16:3e:00:00:99 dev qr-a nud reachable";
        const [, , , drifted] = inPrivateNet([NS, heredoc(create.argv, create.stdin), learnt, shellJoin(showNeighbors(spec))]);
        const st2 = parseNeighbors(drifted);
        assert.deepEqual(
            st2.neighbors.map((n) => `${n.ip} ${n.mac} ${n.permanent}`).sort(), // the kernel's order is its own
            ["192.168.10.12 fa:16:3e:00:00:99 false", "192.168.10.9 fa:16:3e:00:00:09 true"],
        );
        const only12 = [{ ip: "192.168.10.12", mac: "fa:16:3e:00:00:12" }];
        const change = planChange(spec, st2, only12, spec.entries)!;
        assert.equal(change.stdin, "neigh del 192.168.10.9 dev qr-a\nneigh replace 192.168.10.12 lladdr fa:16:3e:00:00:12 dev qr-a nud permanent\n");
        const [, , , , after] = inPrivateNet([
            NS,
            heredoc(create.argv, create.stdin),
            learnt,
            heredoc(change.argv, change.stdin),
            shellJoin(showNeighbors(spec)),
        ]);
        assert.deepEqual(parseNeighbors(after).neighbors, [{ ip: "192.168.10.12", mac: "fa:16:3e:00:00:12", permanent: true }]);
    });

    it("without a namespace: the host's own ip, on the (private) host's device", () => {
        const host = staticNeighborsSchema.parse({ ...spec, namespace: undefined, device: "qr-a" });
        assert.deepEqual(showNeighbors(host).slice(3), ["sh", "", "qr-a"]);
        const create = planChange(host, { namespace: true, device: true, neighbors: [] }, host.entries, [])!;
        assert.deepEqual(create.argv, ["ip", "-batch", "-"]);
        const [, , shown] = inPrivateNet([
            "ip link add qr-a type veth peer name qr-b && ip link set qr-a up",
            heredoc(create.argv, create.stdin),
            shellJoin(showNeighbors(host)),
        ]);
        const st = parseNeighbors(shown);
        assert.deepEqual([st.namespace, st.device, st.neighbors.length], [true, true, 2]);
    });
});
