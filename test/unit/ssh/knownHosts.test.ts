import { strict as assert } from "assert";
import { createHmac, randomBytes } from "crypto";
import { keysFor, parseKnownHosts, verifyHostKey } from "../../../provider/ssh/knownHosts";

const blobA = Buffer.from("key-a-blob");
const blobB = Buffer.from("key-b-blob");

describe("known hosts", () => {
    const text = [
        "# comment",
        `10.0.0.1 ssh-ed25519 ${blobA.toString("base64")}`,
        `[127.0.0.1]:2222,other ssh-ed25519 ${blobB.toString("base64")}`,
        `@revoked 10.0.0.9 ssh-ed25519 ${blobA.toString("base64")}`,
        "",
    ].join("\n");
    const entries = parseKnownHosts(text);

    it("parses plain entries and ignores markers and comments", () => {
        assert.equal(entries.length, 2);
        assert.deepEqual(entries[1].patterns, ["[127.0.0.1]:2222", "other"]);
    });

    it("matches port 22 without brackets and other ports with them", () => {
        assert.equal(keysFor(entries, "10.0.0.1", 22).length, 1);
        assert.equal(keysFor(entries, "10.0.0.1", 2222).length, 0);
        assert.equal(keysFor(entries, "127.0.0.1", 2222).length, 1);
    });

    it("matches hashed host names", () => {
        const salt = randomBytes(20);
        const hash = createHmac("sha1", salt).update("[h.example]:2200").digest("base64");
        const e = parseKnownHosts(`|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${blobA.toString("base64")}`);
        assert.equal(keysFor(e, "h.example", 2200).length, 1);
        assert.equal(keysFor(e, "h.example", 22).length, 0);
    });

    it("accepts the pinned key, refuses unknown hosts and changed keys", () => {
        assert.equal(verifyHostKey(entries, "10.0.0.1", 22, blobA), undefined);
        assert.match(verifyHostKey(entries, "10.0.0.1", 22, blobB)!, /CHANGED/);
        assert.match(verifyHostKey(entries, "10.9.9.9", 22, blobA)!, /unknown.*SHA256:/);
    });
});
