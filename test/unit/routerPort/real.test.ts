import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { routerPortSchema } from "../../../provider/routerPort/schema";
import { conflicts, parseRouterPort, showRouterPort, toInputs } from "../../../provider/routerPort/planner";
import { shellJoin } from "../../../provider/ssh/quote";
import { inPrivateNet } from "../../helpers/privateNet";
import type { Argv } from "../../../provider/ssh/quote";

// showRouterPort run for real in a private network and mount namespace (unshare, a tmpfs on
// /run/netns); a veth stands in for the OVS internal port, a stub ovs-vsctl first on PATH prints
// OVS 3.1's Port and Interface rows for it.

const spec = routerPortSchema.parse({
    connection: { host: "h" },
    owner: "dvrlab:p/s",
    name: "qr-0a1b2c3d-4e",
    namespace: "qrouter-r1",
    tag: 2,
    mac: "FA:16:3E:00:20:01",
    address: "192.168.20.1/24",
});

describe("RouterPort read back from a real device in a private namespace", () => {
    let bin: string;
    beforeEach(() => {
        bin = mkdtempSync(join(tmpdir(), "dvrlab-rport-"));
        writeFileSync(
            join(bin, "ovs-vsctl"),
            [
                "#!/bin/sh",
                '[ "$3" = qr-0a1b2c3d-4e ] || [ "$6" = "name=\\"qr-0a1b2c3d-4e\\"" ] || exit 1',
                "case $2 in port-to-br) echo br-int;;",
                '  --format=json) case $3 in --columns=tag,external_ids) echo \'{"data":[[2,["map",[["dvrlab-owner","dvrlab:p/s"]]]]],"headings":["tag","external_ids"]}\';;',
                '    *) echo \'{"data":[["internal",4]],"headings":["type","ofport"]}\';; esac;;',
                "esac",
            ].join("\n") + "\n",
            { mode: 0o755 },
        );
    });
    afterEach(() => rmSync(bin, { recursive: true, force: true }));

    const inNet = (steps: (string | Argv)[]) => inPrivateNet(steps, { binDir: bin });
    const device = [
        "ip netns add qrouter-r1",
        "ip link add qr-0a1b2c3d-4e type veth peer name peer0",
        "ip link set dev qr-0a1b2c3d-4e netns qrouter-r1",
        "ip -n qrouter-r1 link set dev qr-0a1b2c3d-4e address fa:16:3e:00:20:01 mtu 1450 up",
        "ip -n qrouter-r1 addr add 192.168.20.1/24 dev qr-0a1b2c3d-4e",
        "ip netns exec qrouter-r1 ethtool -K qr-0a1b2c3d-4e tx off >/dev/null",
    ].join(" && ");

    it("a port in its namespace reads back as its inputs, without conflicts", () => {
        assert.deepEqual(showRouterPort(spec).slice(3), ["sh", "qrouter-r1", "qr-0a1b2c3d-4e"]);
        const [, shown] = inNet([device, shellJoin(showRouterPort(spec))]);
        const st = parseRouterPort(shown);
        assert.deepEqual(st, {
            namespace: true,
            inHostNamespace: false,
            port: { bridge: "br-int", tag: 2, owner: "dvrlab:p/s", type: "internal", ofport: 4 },
            link: { up: true, mtu: 1450, mac: "fa:16:3e:00:20:01", addresses: ["192.168.20.1/24"] },
            txChecksum: false,
        });
        assert.deepEqual(conflicts(st, spec), []);
        assert.deepEqual(toInputs(st, spec), { ...spec, mtu: 1450, txChecksum: false });
    });

    it("without the namespace: not in it, nothing read from the device", () => {
        const [, shown] = inNet(["ip link add qr-0a1b2c3d-4e type veth peer name peer0", shellJoin(showRouterPort(spec))]);
        const st = parseRouterPort(shown);
        assert.deepEqual([st.namespace, st.inHostNamespace, st.link, st.txChecksum], [false, true, undefined, undefined]);
        assert.deepEqual(conflicts(st, spec), ["not in qrouter-r1"]);
        const r = toInputs(st, spec);
        assert.deepEqual([r.namespace, r.mac, r.address, r.mtu], ["", "", "", spec.mtu]);
        // an address-less device in the namespace
        const [, bare] = inNet([
            `ip netns add qrouter-r1 && ip link add qr-0a1b2c3d-4e type veth peer name peer0 && ip link set dev qr-0a1b2c3d-4e netns qrouter-r1`,
            shellJoin(showRouterPort(spec)),
        ]);
        const b = parseRouterPort(bare);
        assert.equal(b.namespace, true);
        assert.deepEqual(conflicts(b, spec).slice(-1), ["addresses none (want 192.168.20.1/24)"]);
    });
});
