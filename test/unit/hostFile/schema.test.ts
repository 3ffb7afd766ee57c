import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { providerFor } from "../../../provider/core/kind";
import { hostFileKind } from "../../../provider/hostFile/kind";
import { fileSha256 } from "../../../provider/hostFile/local";
import { refusesEach } from "../../helpers/checkCases";

const noHost = () => {
    throw new Error("check touched a host");
};
const p = providerFor(hostFileKind, noHost as any);
const SHA = "a".repeat(64);
const good = { connection: { host: "10.0.0.1" }, path: "/var/lib/dvrlab/guest/vmlinuz", source: "/home/me/lab/vmlinuz", sha256: SHA };

describe("HostFile check and diff", () => {
    it("accepts a file and keeps the user's form", async () => {
        const r = await p.check({}, { ...good, sha256: SHA.toUpperCase(), mode: "444" });
        assert.equal(r.failures, undefined);
        assert.equal(r.inputs.mode, "444");
    });

    const bad: [string, any, string][] = [
        ["path", { path: "relative/file" }, "absolute"],
        ["path", { path: "/var/lib/../etc/passwd" }, "'..'"],
        ["path", { path: "/tmp/a b" }, "absolute path"],
        ["path", { path: "/tmp/$(id)" }, "absolute path"],
        ["path", { path: "/" }, "not /"],
        ["source", { source: "vmlinuz" }, "absolute local path"],
        ["sha256", { sha256: "abc" }, "64 hex"],
        ["sha256", { sha256: "g".repeat(64) }, "64 hex"],
        ["mode", { mode: "0888" }, "octal"],
        ["mode", { mode: "rw-r--r--" }, "octal"],
        ["mode", { mode: "07777" }, "octal"],
        ["connection.host", { connection: { host: "h;x" } }, "host"],
    ];
    refusesEach(() => p, good, bad);

    it("refuses a missing sha256 naming it", async () => {
        const { sha256: _s, ...rest } = good;
        const r = await p.check({}, rest);
        assert.ok(
            r.failures!.some((f: any) => f.property === "sha256"),
            JSON.stringify(r.failures),
        );
    });

    const olds = { ...good, mode: "0644", dvrlabVersion: 1 };
    it("content, source and mode update in place", async () => {
        assert.deepEqual(await p.diff("x", olds, { ...good, sha256: "b".repeat(64) }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await p.diff("x", olds, { ...good, source: "/elsewhere/vmlinuz" }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await p.diff("x", olds, { ...good, mode: "0444" }), { changes: true, replaces: [], deleteBeforeReplace: false });
    });

    it("a new path or host replaces; same mode and hash in another spelling is no change", async () => {
        assert.deepEqual(await p.diff("x", olds, { ...good, path: "/var/lib/dvrlab/guest/vmlinuz2" }), {
            changes: true,
            replaces: ["path"],
            deleteBeforeReplace: false,
        });
        assert.deepEqual((await p.diff("x", olds, { ...good, connection: { host: "10.0.0.2" } })).replaces, ["connection"]);
        assert.deepEqual(await p.diff("x", olds, { ...good, mode: "644", sha256: SHA.toUpperCase() }), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });
});

describe("fileSha256", () => {
    it("hashes a local file in chunks like sha256sum", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlt-hf-"));
        try {
            const f = path.join(dir, "blob");
            const data = Buffer.alloc(3 * (1 << 20) + 17, 7);
            fs.writeFileSync(f, data);
            assert.equal(fileSha256(f), createHash("sha256").update(data).digest("hex"));
            fs.writeFileSync(f, "");
            assert.equal(fileSha256(f), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("names the file it cannot read", () => {
        assert.throws(() => fileSha256("/nonexistent/dvrlt-x"), /\/nonexistent\/dvrlt-x/);
    });
});
