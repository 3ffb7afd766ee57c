// `npm run graph` end to end on a lab of its own: the dev stack's topology with netns guests (3
// hosts, 2 networks, router r1, 5 VMs; no image to boot, so it is up in about a minute) built by the
// real pulumi CLI; the graph CLI's SVG names every host, VM and tunnel; Debian's headless Chromium
// renders the HTML page and the screenshot is checked; a VXLAN port deleted by hand is drawn missing.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PNG } from "pngjs";
import { requireLab } from "../helpers/lab";
import { repoRoot } from "../helpers/pulumi";
import { DvrStack, FAULT_ID, FaultLab } from "../faults/faultLab";

const yaml = require("js-yaml");
const HOSTS = ["server-233", "server-64", "server-68"];
// the dev stack's VMs (Pulumi.dev.yaml): id, MAC, IP
const VMS = [
    ["cirros", "fa:16:3e:ff:aa:66", "192.168.10.168"],
    ["peer", "fa:16:3e:ff:3a:67", "192.168.10.10"],
    ["vm233", "fa:16:3e:ff:12:33", "192.168.10.233"],
    ["locked", "fa:16:3e:ff:00:68", "192.168.10.68"],
    ["web", "fa:16:3e:ff:20:68", "192.168.20.68"],
];
const WIDTH = 1600;
const HEIGHT = 1200;

/** Pixels of an RGBA buffer close to a colour (anti-aliasing blurs edges, so a small tolerance). */
function pixelsNear(png: PNG, [r, g, b]: [number, number, number], tolerance = 24): number {
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4)
        if (Math.abs(png.data[i] - r) <= tolerance && Math.abs(png.data[i + 1] - g) <= tolerance && Math.abs(png.data[i + 2] - b) <= tolerance) n++;
    return n;
}
const RED: [number, number, number] = [0xd6, 0x27, 0x28]; // dot.ts MISSING
const NET1: [number, number, number] = [0xcf, 0xe2, 0xff]; // dot.ts NETWORK_FILLS[0]
const NET2: [number, number, number] = [0xd3, 0xf2, 0xd3]; // NETWORK_FILLS[1]
const WHITE: [number, number, number] = [255, 255, 255];

describe("npm run graph end to end: the dev topology (netns guests) on a lab of its own, SVG + HTML in headless Chromium", function () {
    this.timeout(900_000);
    const lab = new FaultLab();
    let dvr: DvrStack;
    let out: string;
    const numbers: Record<string, string> = {};
    let runs = 0;

    function graph(): { stdout: string; svg: string; html: string } {
        const t0 = Date.now();
        const r = spawnSync("npx", ["ts-node", "--transpile-only", "scripts/graph.ts", "--out", out], {
            cwd: repoRoot,
            env: { ...dvr.stack.env, DVRLAB_STACK: dvr.stack.stack },
            encoding: "utf8",
            timeout: 300_000,
        });
        numbers[`graph ${++runs}`] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const svgFile = path.join(out, `${dvr.stack.stack}.svg`);
        const htmlFile = path.join(out, `${dvr.stack.stack}.html`);
        assert.match(r.stdout, new RegExp(`^svg: {2}${svgFile}\nhtml: ${htmlFile}$`, "m"));
        return { stdout: r.stdout, svg: fs.readFileSync(svgFile, "utf8"), html: htmlFile };
    }

    function screenshot(html: string, name: string): PNG {
        const png = path.join(out, `${name}.png`);
        const t0 = Date.now();
        // --no-sandbox: the tests run as root; its own profile directory, so no state leaks between runs
        const r = spawnSync(
            "chromium",
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                `--user-data-dir=${path.join(out, "chromium")}`,
                `--window-size=${WIDTH},${HEIGHT}`,
                `--screenshot=${png}`,
                `file://${html}`,
            ],
            { encoding: "utf8", timeout: 120_000 },
        );
        numbers[`screenshot ${name}`] = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
        assert.equal(r.status, 0, r.stderr);
        return PNG.sync.read(fs.readFileSync(png));
    }

    /** The SVG text of the tunnel pair a–b: dot writes each label line as its own <text>. */
    const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#45;/g, "-"));

    before(function () {
        requireLab(this);
        lab.up();
        out = fs.mkdtempSync(path.join(os.tmpdir(), "dvrl-graph-"));
        const dev = yaml.load(fs.readFileSync(path.join(repoRoot, "Pulumi.dev.yaml"), "utf8")).config["dvrlab:topology"];
        const topology = {
            ...dev,
            domainPrefix: `graph${FAULT_ID}-`,
            hosts: dev.hosts.map((h: any) => ({ ...h, address: lab.ip(h.name) })),
            vms: dev.vms.map((v: any) => ({ ...v, kind: "netns" })),
        };
        dvr = new DvrStack(lab, "graph", topology);
        dvr.run("up", ["up", "--yes", "--skip-preview"]);
    });

    after(function () {
        try {
            dvr?.cleanup();
            if (out) fs.rmSync(out, { recursive: true, force: true });
        } finally {
            lab.down();
            console.log(`      numbers: ${JSON.stringify({ ...dvr?.numbers, ...numbers })}`);
        }
    });

    it("draws every host, VM and tunnel of the stack; the page renders with both networks' colours and no red", () => {
        const g = graph();
        assert.match(g.stdout, /^no drift: every object of the state is on its host$/m);
        const t = texts(g.svg);
        for (const h of HOSTS) assert.ok(t.includes(`${h} (${h === "server-233" ? "network" : "compute"})`), `host ${h} in ${t.join(" | ")}`);
        for (const [id, mac, ip] of VMS) {
            assert.ok(t.includes(`${id} (netns)`), `VM ${id}`);
            assert.ok(t.includes(mac), `MAC of ${id}`);
            assert.ok(
                t.some((x) => x.startsWith(`${ip} · `)),
                `IP of ${id}`,
            );
            for (const dev of ["tap", "qbr", "qvb", "qvo"]) assert.ok(t.includes(`${dev}-${id}`), `${dev}-${id}`);
        }
        for (const ns of ["qdhcp-net1", "qdhcp-net2", "qrouter-r1"]) assert.ok(t.includes(ns), ns);
        assert.ok(t.includes("router r1"));
        // every VXLAN port on the hosts (read here, not through graph) is on the tunnel edge of its pair
        assert.equal(t.filter((x) => x === "VXLAN VNI 0x813 0x814").length, 3, "3 host pairs, both networks on each");
        for (const h of HOSTS) {
            const ports = lab.sh(h, "ovs-vsctl list-ports br-tun | grep '^vxlan-'").trim().split("\n");
            assert.equal(ports.length, 2, `${h}: ${ports.join(" ")}`);
            for (const p of ports) assert.ok(t.includes(`${h}: ${p}`), `${h}: ${p} in the SVG`);
        }
        assert.doesNotMatch(g.svg, /MISSING|not in state|#d62728|#ff7f0e/);

        const png = screenshot(g.html, "clean");
        assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
        const all = WIDTH * HEIGHT;
        const blank = pixelsNear(png, WHITE, 4);
        assert.ok(blank < all * 0.97, `the page is not blank: ${all - blank} of ${all} pixels drawn`);
        assert.ok(pixelsNear(png, NET1, 6) > 5000, `net1's fill: ${pixelsNear(png, NET1, 6)} pixels`);
        assert.ok(pixelsNear(png, NET2, 6) > 1000, `net2's fill: ${pixelsNear(png, NET2, 6)} pixels`);
        assert.equal(pixelsNear(png, RED), 0, "nothing drawn red");
    });

    it("a VXLAN port deleted by hand on server-64 is drawn missing (dashed red) on its tunnel, and listed", () => {
        const toward233 = lab
            .sh(
                "server-64",
                'for p in $(ovs-vsctl list-ports br-tun); do [ "$(ovs-vsctl get Interface "$p" options:remote_ip)" = "\\"$1\\"" ] && echo "$p"; done',
                lab.ip("server-233"),
            )
            .trim();
        assert.match(toward233, /^vxlan-[0-9a-f]{8}$/);
        lab.sh("server-64", 'ovs-vsctl del-port br-tun "$1"', toward233);
        const g = graph();
        assert.match(g.stdout, new RegExp(`^drift:\n {2}server-64: br-tun port ${toward233} MISSING \\(in the state, not on the host\\)$`, "m"));
        assert.ok(texts(g.svg).includes(`server-64: ${toward233} MISSING`));
        // the edge of that pair: red and dashed (dot: stroke-dasharray); the other two pairs stay blue
        const edges = g.svg.split('<g id="edge').filter((e) => e.includes("VXLAN VNI"));
        assert.equal(edges.length, 3);
        const broken = edges.filter((e) => /stroke="#d62728" stroke-width="2" stroke-dasharray="5,2"/.test(e));
        assert.equal(broken.length, 1);
        assert.match(broken[0].replace(/&#45;/g, "-"), /server-233: vxlan-[0-9a-f]{8}<\/text>/);
        assert.equal(edges.filter((e) => /stroke="#1f5fa8"/.test(e)).length, 2);
        assert.match(fs.readFileSync(g.html, "utf8"), new RegExp(`<tr class="missing"><td>${toward233}</td>`));

        const png = screenshot(g.html, "drift");
        assert.ok(pixelsNear(png, RED) > 50, `red drawn: ${pixelsNear(png, RED)} pixels`);
    });
});
