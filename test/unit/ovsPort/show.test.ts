import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ovsPortSchema } from "../../../provider/ovsPort/schema";
import { ovsOptions, parsePort, planConverge, showPort, toInputs } from "../../../provider/ovsPort/planner";

// showPort run by sh against a stub ovs-vsctl first on PATH that prints what OVS 3.1 prints for a
// vxlan port on br-tun (and logs its arguments); then the parse and the plans from it.
const PORT_ROW = '{"data":[[["set",[]],["map",[["dvrlab-owner","dvrlab:p/s"],["iface-id","x"]]]]],"headings":["tag","external_ids"]}';
const INTF_ROW =
    '{"data":[["vxlan",["map",[["dst_port","4790"],["key","flow"],["local_ip","10.0.0.1"],["remote_ip","10.0.0.2"]]],3,["set",[]],["set",[]]]],"headings":["type","options","ofport","ofport_request","error"]}';

describe("OvsPort showPort, run by sh against a stub ovs-vsctl", () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "dvrlab-ovsport-"));
        writeFileSync(
            join(dir, "ovs-vsctl"),
            `#!/bin/sh\necho "$*" >>"${dir}/calls"\n[ "$2" = port-to-br ] && { [ "$3" = vxlan-0a000002 ] && echo br-tun && exit 0; echo "ovs-vsctl: no port named $3" >&2; exit 1; }\ncase $3 in --columns=tag,external_ids) echo '${PORT_ROW}';; *) echo '${INTF_ROW}';; esac\n`,
            { mode: 0o755 },
        );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const show = (name: string) => {
        const argv = showPort(name);
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
    };

    it("reads bridge, Port and Interface rows in one call, by the port's name", () => {
        const st = parsePort(show("vxlan-0a000002"))!;
        assert.equal(
            readFileSync(join(dir, "calls"), "utf8"),
            "--timeout=10 port-to-br vxlan-0a000002\n" +
                '--timeout=10 --format=json --columns=tag,external_ids find Port name="vxlan-0a000002"\n' +
                '--timeout=10 --format=json --columns=type,options,ofport,ofport_request,error find Interface name="vxlan-0a000002"\n',
        );
        assert.deepEqual(st, {
            bridge: "br-tun",
            tag: undefined,
            externalIds: { "dvrlab-owner": "dvrlab:p/s", "iface-id": "x" },
            type: "vxlan",
            options: { dst_port: "4790", key: "flow", local_ip: "10.0.0.1", remote_ip: "10.0.0.2" },
            ofport: 3,
            ofportRequest: undefined,
            error: undefined,
        });
        const spec = ovsPortSchema.parse({
            connection: { host: "h" },
            owner: "dvrlab:p/s",
            bridge: "br-tun",
            name: "vxlan-0a000002",
            type: "vxlan",
            options: { remoteIp: "10.0.0.2", localIp: "10.0.0.1", key: "flow", dstPort: 4790 },
            externalIds: { "iface-id": "x" },
        });
        assert.deepEqual(toInputs(st, spec), spec);
        assert.deepEqual(ovsOptions(spec), { remote_ip: "10.0.0.2", local_ip: "10.0.0.1", key: "flow", dst_port: "4790" });
        // a tag set by hand is cleared; options no longer wanted are removed
        const tagged = { ...st, tag: 5, ofportRequest: 9 };
        const plain = ovsPortSchema.parse({ ...spec, options: { remoteIp: "10.0.0.2" } });
        const cmd = planConverge(tagged, plain)[0];
        assert.deepEqual(cmd.slice(cmd.indexOf("remove") - 1), [
            "--",
            "remove",
            "Interface",
            "vxlan-0a000002",
            "options",
            "dst_port",
            "--",
            "remove",
            "Interface",
            "vxlan-0a000002",
            "options",
            "key",
            "--",
            "remove",
            "Interface",
            "vxlan-0a000002",
            "options",
            "local_ip",
            "--",
            "clear",
            "Port",
            "vxlan-0a000002",
            "tag",
            "--",
            "clear",
            "Interface",
            "vxlan-0a000002",
            "ofport_request",
        ]);
        assert.equal(toInputs(tagged, plain).ofportRequest, 9);
        assert.equal("ofportRequest" in toInputs(st, plain), false);
    });

    it("no such port: nothing printed after port-to-br fails, read as absent", () => {
        const out = show("nope0");
        assert.equal(out, "");
        assert.equal(parsePort(out), undefined);
        assert.equal(readFileSync(join(dir, "calls"), "utf8"), "--timeout=10 port-to-br nope0\n");
    });

    it("parsePort: blank lines ignored; a negative ofport (failed interface) is none", () => {
        const failed = INTF_ROW.replace(",3,", ",-1,").replace(
            '["set",[]],["set",[]]]]',
            '["set",[]],"could not open network device vxlan-x (No such device)"]]',
        );
        const st = parsePort(`\nbr-tun\n\n${PORT_ROW}\n  \n${failed}\n`)!;
        assert.deepEqual([st.bridge, st.ofport, st.error], ["br-tun", undefined, "could not open network device vxlan-x (No such device)"]);
        assert.equal(parsePort(`br-tun\n${PORT_ROW}\n${INTF_ROW.replace(",3,", ",0,")}`)!.ofport, 0);
        assert.equal(parsePort(`br-tun\n${PORT_ROW}\n${INTF_ROW.replace('"vxlan"', '""')}`)!.type, "system");
    });
});
