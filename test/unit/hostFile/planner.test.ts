import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as planner from "../../../provider/hostFile/planner";
import { uploadTimeoutMs } from "../../../provider/hostFile/kind";

describe("HostFile planner", () => {
    const P = "/var/lib/dvrlab/guest/base.qcow2";

    it("plans an upload to a temp file in the same directory, then an atomic rename", () => {
        const tmp = planner.tmpPathFor(P, "a1b2c3");
        assert.equal(tmp, "/var/lib/dvrlab/guest/base.qcow2.tmp.a1b2c3");
        assert.deepEqual(planner.planMkdirParent(P), ["mkdir", "-p", "--", "/var/lib/dvrlab/guest"]);
        assert.deepEqual(planner.planWriteStdin(tmp), ["dd", "of=/var/lib/dvrlab/guest/base.qcow2.tmp.a1b2c3", "bs=1M", "status=none"]);
        assert.deepEqual(planner.planHash(tmp), ["sha256sum", "--", tmp]);
        assert.deepEqual(planner.planChmod(tmp, "0444"), ["chmod", "0444", "--", tmp]);
        assert.deepEqual(planner.planRename(tmp, P), ["mv", "-f", "-T", "--", tmp, P]);
        assert.throws(() => planner.tmpPathFor(P, "../x"), /random/);
    });

    it("plans read and delete", () => {
        assert.deepEqual(planner.planStat(P), ["stat", "-c", "%a %F", "--", P]);
        assert.deepEqual(planner.planRemove(P), ["rm", "-f", "--", P]);
        assert.deepEqual(planner.planMkdirParent("/f"), ["mkdir", "-p", "--", "/"]);
    });

    it("after a delete, removes the empty parents strictly below /var/lib/dvrlab, and nothing else (the script run on a temp tree)", () => {
        const argv = planner.planRemoveEmptyParents("/var/lib/dvrlab/images/7/vmlinuz");
        assert.deepEqual(argv.slice(3), ["sh", "/var/lib/dvrlab/images/7/vmlinuz", "/var/lib/dvrlab"]);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlt-rmdir-"));
        const state = path.join(root, "state");
        const run = (p: string) => execFileSync(argv[0], [argv[1], argv[2], argv[3], p, state]);
        fs.mkdirSync(path.join(state, "images/7"), { recursive: true });
        fs.mkdirSync(path.join(state, "images/8"), { recursive: true });
        fs.writeFileSync(path.join(state, "images/8/kept"), "");
        fs.mkdirSync(path.join(root, "outside/empty"), { recursive: true });
        run(path.join(state, "images/7/vmlinuz"));
        assert.deepEqual(fs.readdirSync(path.join(state, "images")), ["8"]); // 7 went; images/ holds 8
        run(path.join(state, "images/8/gone"));
        assert.deepEqual(fs.readdirSync(path.join(state, "images/8")), ["kept"]); // not empty: stays
        run(path.join(root, "outside/empty/f"));
        assert.equal(fs.existsSync(path.join(root, "outside/empty")), true); // not below the state dir
        fs.rmSync(path.join(state, "images/8/kept"));
        run(path.join(state, "images/8/kept"));
        assert.deepEqual(fs.readdirSync(root).sort(), ["outside", "state"]); // empty up to, not including, the state dir
        assert.deepEqual(fs.readdirSync(state), []);
        fs.rmSync(root, { recursive: true });
    });

    it("parses stat into a 4-digit mode and the file type", () => {
        assert.deepEqual(planner.parseStat("644 regular file\n"), { mode: "0644", regular: true, type: "regular file" });
        assert.deepEqual(planner.parseStat("4755 regular file\n"), { mode: "4755", regular: true, type: "regular file" });
        assert.deepEqual(planner.parseStat("600 regular empty file\n"), { mode: "0600", regular: true, type: "regular empty file" });
        assert.deepEqual(planner.parseStat("755 directory\n"), { mode: "0755", regular: false, type: "directory" });
        assert.deepEqual(planner.parseStat("777 symbolic link\n"), { mode: "0777", regular: false, type: "symbolic link" });
        assert.throws(() => planner.parseStat("stat: oops"), /unexpected stat output/);
    });

    it("parses sha256sum", () => {
        const h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert.equal(planner.parseHash(`${h}  /tmp/x\n`), h);
        assert.throws(() => planner.parseHash("sha256sum: /tmp/x: No such file or directory"), /unexpected sha256sum output/);
    });

    it("gives large uploads more time", () => {
        assert.equal(uploadTimeoutMs(0), 60_000);
        assert.equal(uploadTimeoutMs(60_000_000), 120_000);
    });
});
