// HostFile's provider in-process against a lab host: upload (streamed over the pooled SSH
// connection), read, adopt, drift by hand, update in place, mode, delete twice; a 50 MB upload
// is timed.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { closeExecutor, configure, executor, provider } from "../../../provider/core/runtime";
import { fileSha256 } from "../../../provider/hostFile/local";
import { StdinError } from "../../../provider/ssh/executor";
import { hostCheck, hostSh, LAB, labProviderConfig, requireLab } from "../../helpers/lab";

const HOST = LAB["server-68"];
const DIR = `/var/lib/dvrlab/dvrlt-hf${process.pid}`;
const FILE = `${DIR}/sub/dir/blob.bin`;

const hostHash = (f: string) => hostCheck(HOST, 'sha256sum -- "$1"', f).split(" ")[0];
const hostMode = (f: string) => hostCheck(HOST, 'stat -c %a -- "$1"', f).trim();
const exists = (f: string) => hostSh(HOST, 'test -e "$1"', f).code === 0;
const leftovers = () => hostCheck(HOST, 'find "$1" -name "*.tmp.*"', DIR).trim();

describe("HostFile provider on a lab host", function () {
    this.timeout(180_000);
    const p = () => provider("HostFile", 1);
    let local: string;
    let src: string;
    let src2: string;
    let inputs: any;
    let outs: any;
    const id = `${HOST}:${FILE}`;

    before(async function () {
        requireLab(this);
        await configure({ get: (k) => labProviderConfig[k] });
        local = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlt-hf-"));
        src = path.join(local, "blob10m");
        src2 = path.join(local, "blob10m-2");
        fs.writeFileSync(src, randomBytes(10 << 20));
        fs.writeFileSync(src2, randomBytes(10 << 20));
        inputs = { connection: { host: HOST }, path: FILE, source: src, sha256: fileSha256(src) };
    });
    after(() => {
        if (local) fs.rmSync(local, { recursive: true, force: true });
        if (inputs) hostSh(HOST, 'rm -rf -- "$1"', DIR);
        closeExecutor();
    });

    it("uploads a 10 MB file (parent directories made, default mode 0644, no temp file left)", async () => {
        const r = await p().create(inputs);
        assert.equal(r.id, id);
        assert.equal(hostHash(FILE), inputs.sha256);
        assert.equal(hostMode(FILE), "644");
        assert.equal(leftovers(), "");
        assert.equal(r.outs.mode, "0644");
        outs = r.outs;
    });

    it("read returns the stored state unchanged while the host matches", async () => {
        const r = await p().read(id, outs);
        assert.deepEqual(r.props, outs);
        assert.equal(r.inputs.sha256, inputs.sha256);
        assert.deepEqual(await p().diff(id, r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    it("create adopts an identical file without uploading (same inode), fixing its mode", async () => {
        hostCheck(HOST, 'chmod 600 -- "$1"', FILE);
        const ino = hostCheck(HOST, 'stat -c %i -- "$1"', FILE);
        const r = await p().create({ ...inputs, mode: "0444" });
        assert.equal(hostCheck(HOST, 'stat -c %i -- "$1"', FILE), ino);
        assert.equal(hostMode(FILE), "444");
        assert.equal(r.outs.mode, "0444");
    });

    it("content changed by hand shows as sha256 drift; update puts it back", async () => {
        hostCheck(HOST, 'printf tampered >> "$1"', FILE);
        const r = await p().read(id, outs);
        assert.notEqual(r.props.sha256, inputs.sha256);
        assert.equal(r.props.sha256, hostHash(FILE));
        assert.equal(r.props.mode, "0444");
        const d = await p().diff(id, r.props, inputs);
        assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
        const u = await p().update(id, r.props, inputs);
        assert.equal(hostHash(FILE), inputs.sha256);
        assert.equal(hostMode(FILE), "644");
        assert.equal(u.outs.sha256, inputs.sha256);
        outs = u.outs;
    });

    it("update uploads new content in place and changes just the mode when only it changed", async () => {
        const news = { ...inputs, source: src2, sha256: fileSha256(src2) };
        const u = await p().update(id, outs, news);
        assert.equal(hostHash(FILE), news.sha256);
        assert.equal(u.outs.source, src2);
        const ino = hostCheck(HOST, 'stat -c %i -- "$1"', FILE);
        await p().update(id, u.outs, { ...news, mode: "0400" });
        assert.equal(hostMode(FILE), "400");
        assert.equal(hostCheck(HOST, 'stat -c %i -- "$1"', FILE), ino, "a mode change does not re-upload");
        outs = (await p().update(id, u.outs, inputs)).outs;
        assert.equal(hostHash(FILE), inputs.sha256);
        assert.equal(leftovers(), "");
    });

    it("refuses a declared sha256 the local file does not have, leaving the host file and no temp file", async () => {
        await assert.rejects(p().update(id, outs, { ...inputs, sha256: "0".repeat(64) }), /has sha256 [0-9a-f]{64}, but the sha256 input is 0{64}/);
        assert.equal(hostHash(FILE), inputs.sha256);
        assert.equal(leftovers(), "");
    });

    it("a missing local source fails naming it, without touching the host", async () => {
        const missing = path.join(local, "nope");
        await assert.rejects(p().update(id, outs, { ...inputs, source: missing, sha256: "1".repeat(64) }), (e: any) => e.message.includes(missing));
        assert.equal(hostHash(FILE), inputs.sha256);
    });

    it("the executor fails a streamed stdin that cannot be read, quickly", async () => {
        const t0 = Date.now();
        const input = fs.createReadStream(path.join(local, "nope"));
        await assert.rejects(
            executor().run({ host: HOST, port: 22, user: "root" }, ["cat"], { stdinStream: input }),
            (e: any) => e instanceof StdinError && /ENOENT/.test(e.message),
        );
        assert.ok(Date.now() - t0 < 5000);
        // The pooled connection is still good.
        assert.equal((await executor().run({ host: HOST, port: 22, user: "root" }, ["echo", "ok"])).stdout, "ok\n");
    });

    it("the executor copes with a command that exits before reading all of a streamed stdin", async () => {
        const c = { host: HOST, port: 22, user: "root" };
        const r = await executor().run(c, ["head", "-c", "5"], { stdinStream: fs.createReadStream(src) });
        assert.equal(r.code, 0);
        assert.equal(Buffer.from(r.stdout, "latin1").length >= 1, true);
        const f = await executor().run(c, ["false"], { stdinStream: fs.createReadStream(src) });
        assert.equal(f.code, 1);
        assert.equal((await executor().run(c, ["echo", "ok"])).stdout, "ok\n");
    });

    it("a directory at the path is refused clearly", async () => {
        const dirPath = `${DIR}/adir`;
        hostCheck(HOST, 'mkdir -p -- "$1"', dirPath);
        await assert.rejects(p().create({ ...inputs, path: dirPath }), /is a directory, not a regular file/);
    });

    it("delete removes the file; delete of a missing file succeeds; read of it is gone", async () => {
        await p().delete(id, outs);
        assert.equal(exists(FILE), false);
        // its parents below /var/lib/dvrlab went with it once empty; DIR still holds adir/
        assert.equal(exists(`${DIR}/sub`), false);
        assert.equal(exists(`${DIR}/adir`), true);
        await p().delete(id, outs);
        assert.deepEqual(await p().read(id, outs), {});
    });

    it("uploads 50 MB (throughput printed)", async () => {
        const big = path.join(local, "blob50m");
        fs.writeFileSync(big, randomBytes(50 << 20));
        const sha = fileSha256(big);
        const bigInputs = { connection: { host: HOST }, path: `${DIR}/big.bin`, source: big, sha256: sha };
        const t0 = process.hrtime.bigint();
        await p().create(bigInputs);
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        console.log(`      50 MiB create (upload + sha256 check + rename): ${s.toFixed(2)} s, ${(50 / s).toFixed(1)} MiB/s`);
        assert.equal(hostHash(`${DIR}/big.bin`), sha);
        await p().delete(`${HOST}:${DIR}/big.bin`, bigInputs);
    });
});
