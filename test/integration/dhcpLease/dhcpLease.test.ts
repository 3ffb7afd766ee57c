// DhcpLease's provider in-process against a real dnsmasq on a lab host (served by DhcpServer):
// the seed's two lines + SIGHUP, drift, update, conflicts, and 20 leases in parallel.
import { strict as assert } from "assert";
import { closeExecutor, configure, provider } from "../../../provider/core/runtime";
import { dhcpLeaseSchema } from "../../../provider/dhcpLease/schema";
import { hostCheck, hostSh, LAB, labIsUp, labProviderConfig, requireLab, waitFor } from "../../helpers/lab";

const HOST = LAB["server-233"];
const id = process.pid % 10000;
const BR = `dvrlt-bl${id}`;
const NET = `dvrlt-l${id}`;
const DIR = `/var/lib/dvrlab/dhcp/${NET}`;
const conn = { host: HOST };

const file = (f: string) => hostCheck(HOST, 'cat "$1"', `${DIR}/${f}`);
const lines = (f: string) => file(f).split("\n").filter(Boolean).sort();
/** dnsmasq logs "read <hosts file>" at start and on every SIGHUP. */
const reads = () => (file("dnsmasq.log").match(new RegExp(`read ${DIR}/host$`, "gm")) ?? []).length;
const lease = (i: number) => ({ mac: `fa:16:3e:00:00:${i.toString(16).padStart(2, "0")}`, hostname: `vm-${i}`, ip: `192.168.10.${100 + i}` });

describe("DhcpLease provider on a lab host (real dnsmasq, SIGHUP)", function () {
    this.timeout(60_000);
    const server = () => provider("DhcpServer", 1);
    const p = () => provider("DhcpLease", 1);
    let serverOuts: any;
    const seed = { connection: conn, network: NET, serverAddress: "192.168.10.2/24", mac: "fa:16:3e:ff:aa:66", hostname: "cirros", ip: "192.168.10.168" };
    let outs: any;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        hostCheck(HOST, 'ovs-vsctl --may-exist add-br "$1" -- set Bridge "$1" datapath_type=netdev', BR);
        serverOuts = (await server().create({ connection: conn, owner: "dvrlab:itest/dev", network: NET, bridge: BR, tag: 1, address: "192.168.10.2/24" }))
            .outs;
    });

    after(async function () {
        if (!labIsUp) return;
        if (serverOuts) await server().delete("x", serverOuts);
        hostSh(HOST, 'ovs-vsctl --if-exists del-br "$1"', BR);
        closeExecutor();
    });

    it("create writes the seed's two lines and SIGHUPs dnsmasq", async () => {
        const before = reads();
        const r = await p().create(seed);
        outs = r.outs;
        assert.equal(r.id, `${HOST}/dhcp/${NET}/fa:16:3e:ff:aa:66`);
        assert.equal(file("host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
        assert.equal(file("addn_hosts"), "192.168.10.168 cirros\n");
        await waitFor("dnsmasq to re-read its hosts file", 5000, () => reads() > before);
    });

    it("read equals the inputs; a removed line reads as gone and create puts it back", async () => {
        const r = await p().read(outs.id, outs);
        assert.deepEqual(r.inputs, dhcpLeaseSchema.parse(seed));
        hostCheck(HOST, 'sed -i "/cirros/d" "$1"', `${DIR}/addn_hosts`);
        assert.deepEqual(await p().read(outs.id, outs), {}, "half a lease is no lease");
        await p().create(seed);
        assert.equal(file("host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "no duplicate line");
        assert.equal(file("addn_hosts"), "192.168.10.168 cirros\n");
    });

    it("an IP changed by hand reads back; update swaps the lines in one edit", async () => {
        hostCheck(HOST, 'sed -i "s/192.168.10.168/192.168.10.170/" "$1/host" "$1/addn_hosts"', DIR);
        const r = await p().read(outs.id, outs);
        assert.equal(r.props.ip, "192.168.10.170");
        outs = (await p().update("x", r.props, seed)).outs;
        assert.equal(file("host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
        assert.equal(file("addn_hosts"), "192.168.10.168 cirros\n");
    });

    it("a MAC or IP already leased to another host name is a clear error, and nothing changes", async () => {
        await assert.rejects(p().create({ ...seed, hostname: "thief" }), /already leased to another host:\n.*host: fa:16:3e:ff:aa:66,cirros,192\.168\.10\.168/);
        await assert.rejects(p().create({ ...seed, mac: "fa:16:3e:00:00:99", hostname: "thief" }), /already leased/);
        assert.equal(file("host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
    });

    it("check refuses an IP outside the server's subnet, naming the field", async () => {
        const r = await p().check({}, { ...seed, ip: "10.0.0.5" });
        assert.deepEqual(r.failures, [{ property: "ip", reason: "10.0.0.5 is not a host address of the server's subnet 192.168.10.0/24" }]);
    });

    it("20 parallel creates then 20 parallel deletes: both files exactly right after each phase", async () => {
        const all = Array.from({ length: 20 }, (_, i) => ({ ...seed, ...lease(i + 1) }));
        let t = Date.now();
        const made = await Promise.all(all.map((l) => p().create(l)));
        const createMs = Date.now() - t;
        assert.deepEqual(lines("host"), ["fa:16:3e:ff:aa:66,cirros,192.168.10.168", ...all.map((l) => `${l.mac},${l.hostname},${l.ip}`)].sort());
        assert.deepEqual(lines("addn_hosts"), ["192.168.10.168 cirros", ...all.map((l) => `${l.ip} ${l.hostname}`)].sort());
        t = Date.now();
        await Promise.all(made.map((m) => p().delete("x", m.outs)));
        const deleteMs = Date.now() - t;
        assert.equal(file("host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
        assert.equal(file("addn_hosts"), "192.168.10.168 cirros\n");
        assert.equal(hostSh(HOST, 'ls "$1" | grep -c tmp', DIR).stdout.trim(), "0", "no temp files");
        console.log(`      20 leases: create ${createMs} ms, delete ${deleteMs} ms (all in parallel)`);
    });

    it("delete removes only its lines; again is fine", async () => {
        hostCheck(HOST, 'echo "fa:16:3e:00:01:00,keep,192.168.10.250" >>"$1/host"; echo "192.168.10.250 keep" >>"$1/addn_hosts"', DIR);
        await p().delete("x", outs);
        assert.equal(file("host"), "fa:16:3e:00:01:00,keep,192.168.10.250\n");
        assert.equal(file("addn_hosts"), "192.168.10.250 keep\n");
        await p().delete("x", outs);
        assert.deepEqual(await p().read("x", outs), {});
    });
});
