import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dhcpLeaseSchema } from "../../../provider/dhcpLease/schema";
import { editArgv, hostsLine, parseLease, showLease } from "../../../provider/dhcpLease/planner";

// showLease run for real by sh against a temp directory (its directory is a positional argument),
// then parseLease on what it printed.

const seed = dhcpLeaseSchema.parse({
    connection: { host: "172.30.124.233" },
    network: "net1",
    serverAddress: "192.168.10.2/24",
    mac: "FA:16:3E:FF:AA:66",
    hostname: "cirros",
    ip: "192.168.10.168",
});

describe("DhcpLease showLease, run by sh", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlab-lease-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const show = (l = seed) => {
        const argv = showLease("net1", l);
        const r = spawnSync(argv[0], [...argv.slice(1, 4), dir, ...argv.slice(5)], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
    };

    it("prints our MAC's hosts lines (any case) and the addn_hosts lines with our IP or name", () => {
        fs.writeFileSync(path.join(dir, "host"), "fa:16:3e:00:00:01,other,192.168.10.5\nFA:16:3E:FF:AA:66,cirros,192.168.10.168\n");
        fs.writeFileSync(path.join(dir, "addn_hosts"), "192.168.10.5 other\n192.168.10.168 cirros\n192.168.10.9 cirros\n");
        const out = show();
        assert.equal(out, "@@host\nFA:16:3E:FF:AA:66,cirros,192.168.10.168\n@@addn\n192.168.10.168 cirros\n192.168.10.9 cirros\n");
        assert.deepEqual(parseLease(out, seed), { ...seed, mac: "fa:16:3e:ff:aa:66" });
    });

    it("no hosts file: @@nofiles; no addn_hosts: no lease", () => {
        assert.equal(show(), "@@nofiles\n");
        assert.equal(parseLease(show(), seed), undefined);
        fs.writeFileSync(path.join(dir, "host"), "fa:16:3e:ff:aa:66,cirros,192.168.10.168\n");
        assert.equal(show(), "@@host\nfa:16:3e:ff:aa:66,cirros,192.168.10.168\n@@addn\n");
        assert.equal(parseLease(show(), seed), undefined);
    });

    it("parseLease: our exact line wins over another line with our MAC; an addn line must match name and IP", () => {
        const out = (host: string, addn: string) => `@@host\n${host}@@addn\n${addn}`;
        const lower = { ...seed, mac: "fa:16:3e:ff:aa:66" };
        assert.equal(hostsLine(lower), "fa:16:3e:ff:aa:66,cirros,192.168.10.168");
        assert.deepEqual(
            parseLease(
                out("fa:16:3e:ff:aa:66,old,192.168.10.7\nfa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "192.168.10.7 old\n192.168.10.168 cirros\n"),
                lower,
            ),
            lower,
        );
        assert.deepEqual(parseLease(out("\nfa:16:3e:ff:aa:66,old,192.168.10.7\n", "192.168.10.7 old\n"), lower), {
            ...lower,
            hostname: "old",
            ip: "192.168.10.7",
        });
        assert.equal(parseLease(out("fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "192.168.10.168 other\n192.168.10.169 cirros\n"), lower), undefined);
        assert.deepEqual(parseLease(out("fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "  192.168.10.168\tcirros  \n"), lower), lower);
        // a literal "@@nofiles" inside a line is not the marker
        assert.deepEqual(
            parseLease(out("fa:16:3e:ff:aa:66,cirros,192.168.10.168\n", "192.168.10.168 cirros #@@nofiles\n192.168.10.168 cirros\n"), lower),
            lower,
        );
    });

    it("editArgv: the MAC as the schema lower-cased it, the old lease's fields empty when there is none", () => {
        assert.deepEqual(editArgv("/d", "delete", seed).slice(3), ["sh", "delete", "/d", "fa:16:3e:ff:aa:66", "cirros", "192.168.10.168", "", "", ""]);
    });
});
