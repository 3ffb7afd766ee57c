import { strict as assert } from "assert";
import { esc, inlineSvg, portRows, toHtml } from "../../../provider/graph/html";
import { input } from "./fixture";

describe("graph: HTML page", () => {
    it("esc: text never becomes markup", () => {
        assert.equal(esc(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    });

    it("inlineSvg drops dot's XML prolog and DOCTYPE; refuses what is not SVG", () => {
        assert.equal(inlineSvg('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x">\n<svg width="8pt"></svg>\n'), '<svg width="8pt"></svg>\n');
        assert.throws(() => inlineSvg("Error: syntax error"), /not an SVG document/);
    });

    it("portRows: state and host side by side, by ofport; missing and extra marked", () => {
        assert.deepEqual(portRows(input, "b", "br-int"), [
            { name: "patch-tun", ofport: "1", type: "patch", tag: "", options: "", status: "ok" },
            { name: "qvo-vm1", ofport: "5", type: "system", tag: "1", options: "", status: "ok" },
            { name: "stray", ofport: "9", type: "internal", tag: "", options: "", status: "extra" },
        ]);
        assert.deepEqual(portRows(input, "b", "br-tun"), [
            { name: "patch-int", ofport: "1", type: "patch", tag: "", options: "", status: "ok" },
            { name: "vxlan-0a000001", ofport: "", type: "vxlan", tag: "", options: "remote_ip=10.0.0.1", status: "missing" },
        ]);
    });

    it("toHtml: one self-contained page, the SVG inline, a table and the flows per bridge, all text escaped", () => {
        const g = structuredClone(input);
        g.live.a.flows["br-int"] = ["table=0, priority=0,dl_src=<x> actions=drop"];
        const html = toHtml(g, '<?xml version="1.0"?>\n<svg id="pic"></svg>', "2026-01-01T00:00:00Z");
        assert.match(html, /^<!doctype html>/);
        assert.doesNotMatch(html, /<script|<link| src=|<\?xml/); // nothing loaded from elsewhere
        assert.match(html, /<div class="graph">\n<svg id="pic"><\/svg>\n<\/div>/);
        assert.equal((html.match(/<table>/g) ?? []).length, 4); // br-int and br-tun on a and b
        assert.match(
            html,
            /<tr class="missing"><td>vxlan-0a000001<\/td><td><\/td><td>vxlan<\/td><td><\/td><td>remote_ip=10.0.0.1<\/td><td>MISSING on host<\/td><\/tr>/,
        );
        assert.match(html, /<tr class="extra"><td>stray<\/td><td>9<\/td><td>internal<\/td><td><\/td><td><\/td><td>not in state<\/td><\/tr>/);
        assert.match(html, /<details><summary>1 flows<\/summary><pre>table=0, priority=0,dl_src=&lt;x&gt; actions=drop<\/pre><\/details>/);
    });
});
