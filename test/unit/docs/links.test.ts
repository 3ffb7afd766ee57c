// The documentation links only to files inside the repository, and every such link resolves.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { anchors, brokenLinks, checkLink, extractLinks, slug } from "../../helpers/docLinks";

const repo = path.resolve(__dirname, "../../..");

describe("docs: links", () => {
    describe("extractLinks", () => {
        it("finds inline links, images, reference definitions, autolinks and bare URLs, with their lines", () => {
            const md = [
                "# Title",
                'See [the guide](docs/guide.md#set-up) and ![a picture](img/a.png "caption").',
                "[ref]: ../outside.md",
                "Mail <mailto:someone@example.org> or read https://example.org/x, or www.example.org.",
            ].join("\n");
            assert.deepEqual(extractLinks(md), [
                { target: "docs/guide.md#set-up", line: 2 },
                { target: "img/a.png", line: 2 },
                { target: "../outside.md", line: 3 },
                { target: "mailto:someone@example.org", line: 4 },
                { target: "https://example.org/x,", line: 4 },
                { target: "www.example.org.", line: 4 },
            ]);
        });

        it("ignores fenced code blocks (mermaid too) and inline code spans", () => {
            const md = [
                "```bash",
                "curl https://example.org/install.sh  # [not](a-link.md)",
                "```",
                "~~~mermaid",
                "flowchart LR",
                '  A["x"] --> B',
                "~~~",
                "Write `[text](target.md)` or `https://example.org` in code; [real](real.md).",
            ].join("\n");
            assert.deepEqual(extractLinks(md), [{ target: "real.md", line: 8 }]);
        });
    });

    describe("anchors", () => {
        it("slugs headings as GitHub does", () => {
            assert.equal(slug("Config reference"), "config-reference");
            assert.equal(slug("`dvrlab:topology`"), "dvrlabtopology");
            assert.equal(
                slug("bench/dvr (`npm run bench`): the seed's L2 lab, and remote.Command"),
                "benchdvr-npm-run-bench-the-seeds-l2-lab-and-remotecommand",
            );
            assert.equal(slug("Numbers (2026-11-26 04:28, shim 2)"), "numbers-2026-11-26-0428-shim-2");
            assert.equal(slug("Where dvrlab differs → Neutron ≤ 2026.1"), "where-dvrlab-differs--neutron--20261");
        });

        it("numbers repeated headings and skips headings inside code blocks", () => {
            const md = ["# Tests", "## Numbers", "```", "# not a heading", "```", "### Numbers", "## `verify`"].join("\n");
            assert.deepEqual([...anchors(md)], ["tests", "numbers", "numbers-1", "verify"]);
        });
    });

    describe("checkLink", () => {
        let root: string;
        before(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlab-links-"));
            fs.mkdirSync(path.join(root, "docs"));
            fs.writeFileSync(path.join(root, "README.md"), "# dvrlab\n## Config reference\n");
            fs.writeFileSync(path.join(root, "docs", "guide.md"), "# Guide\n## Set-up\n");
        });
        after(() => fs.rmSync(root, { recursive: true, force: true }));
        const from = () => path.join(root, "docs", "guide.md");

        it("accepts a file in the repository, a directory, and a heading that exists", () => {
            assert.equal(checkLink(root, from(), "../README.md"), undefined);
            assert.equal(checkLink(root, from(), "../README.md#config-reference"), undefined);
            assert.equal(checkLink(root, from(), "#set-up"), undefined);
            assert.equal(checkLink(root, path.join(root, "README.md"), "docs"), undefined);
        });

        it("refuses a missing file, a missing heading, an absolute path, a path out of the repository and any URL", () => {
            assert.equal(checkLink(root, from(), "missing.md"), "missing.md: no such file docs/missing.md");
            assert.equal(checkLink(root, from(), "../README.md#setup"), "../README.md#setup: README.md has no heading #setup");
            assert.equal(checkLink(root, from(), "/etc/passwd"), "/etc/passwd: an absolute path (write it relative to docs/guide.md)");
            assert.equal(checkLink(root, from(), "../../shared/seed/human-defined-dvr.md"), "../../shared/seed/human-defined-dvr.md leaves the repository");
            assert.equal(
                checkLink(root, from(), "https://docs.openstack.org/neutron/latest/"),
                "https://docs.openstack.org/neutron/latest/ leaves the repository",
            );
            assert.equal(checkLink(root, from(), "www.example.org"), "www.example.org leaves the repository");
            assert.equal(checkLink(root, from(), "mailto:someone@example.org"), "mailto:someone@example.org leaves the repository");
        });

        it("brokenLinks reports file and line", () => {
            fs.writeFileSync(path.join(root, "docs", "bad.md"), "# Bad\n\nSee [seed](../../shared/seed.md) and [ok](guide.md#guide).\n");
            try {
                assert.deepEqual(brokenLinks(root), ["docs/bad.md:3: ../../shared/seed.md leaves the repository"]);
            } finally {
                fs.rmSync(path.join(root, "docs", "bad.md"));
            }
        });
    });

    it("every Markdown file of the repository links only to files and headings inside it", () => {
        assert.deepEqual(brokenLinks(repo), []);
    });

    it("the manual and docs/ are among the files checked, with links to check", () => {
        for (const f of ["README.md", "docs/procedure.md", "docs/neutron.md", "bench/README.md"]) {
            assert.ok(extractLinks(fs.readFileSync(path.join(repo, f), "utf8")).length > 0, `${f} has links`);
        }
    });
});
