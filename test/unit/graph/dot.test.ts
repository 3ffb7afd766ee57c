import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { q, toDot } from "../../../provider/graph/dot";
import { input } from "./fixture";

const dot = (text: string) => execFileSync("dot", ["-Tsvg"], { input: text, encoding: "utf8" });

describe("graph: DOT text", () => {
    it("q quotes for DOT: quotes and backslashes escaped, newlines as \\n", () => {
        assert.equal(q('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
        assert.equal(q("plain"), '"plain"');
        assert.equal(q("x\\ny"), '"x\\\\ny"'); // a literal backslash-n stays text, not a line break
    });

    it("draws hosts, bridges, the VM's tap/qbr/qvb/qvo chain, DHCP, the tunnel pair; drift dashed red/orange", () => {
        assert.equal(
            toDot(input),
            `digraph "dvrlab t" {
  graph [rankdir="TB", compound="true", fontname="Helvetica", fontsize="12", newrank="true", nodesep="0.25", ranksep="0.45"];
  node [fontname="Helvetica", fontsize="10", shape="box", style="filled", fillcolor="#ffffff"];
  edge [fontname="Helvetica", fontsize="9", dir="none"];
  subgraph "cluster_logical" {
    graph [label="networks and routers", style="rounded", color="#888888"];
    "net/net1" [label="net1\\n192.168.10.0/24\\nVNI 0x813 · VLAN 1\\ngateway 192.168.10.1 · DHCP 192.168.10.2", shape="note", fillcolor="#cfe2ff"];
  }
  subgraph "cluster_a" {
    graph [label="a (network)\\n10.0.0.1", style="rounded", color="#444444", fontcolor="#000000"];
    "a/br-int" [label="br-int", shape="box3d", fillcolor="#e8e8e8", style="filled"];
    "a/br-tun" [label="br-tun", shape="box3d", fillcolor="#e8e8e8", style="filled"];
    "a/br-int" -> "a/br-tun" [label="patch-tun ↔ patch-int", color="#444444", fontcolor="#444444"];
    "a/ns/qdhcp-net1" [label="qdhcp-net1\\ntapnet1 192.168.10.2/24", shape="component", fillcolor="#cfe2ff", style="filled"];
    "a/ns/qdhcp-net1" -> "a/br-int" [label="tapnet1 tag 1", color="#444444", fontcolor="#444444"];
  }
  subgraph "cluster_b" {
    graph [label="b (compute)\\n10.0.0.2", style="rounded", color="#444444", fontcolor="#000000"];
    "b/br-int" [label="br-int", shape="box3d", fillcolor="#e8e8e8", style="filled"];
    "b/br-tun" [label="br-tun", shape="box3d", fillcolor="#e8e8e8", style="filled"];
    "b/br-int" -> "b/br-tun" [label="patch-tun ↔ patch-int", color="#444444", fontcolor="#444444"];
    "b/vm/vm1" [label="vm1 (netns)\\nfa:16:3e:00:00:05\\n192.168.10.5 · net1", shape="ellipse", fillcolor="#cfe2ff", style="filled"];
    "b/tap-vm1" [label="tap-vm1", fillcolor="#cfe2ff", style="filled", shape="box"];
    "b/qbr-vm1" [label="qbr-vm1", fillcolor="#cfe2ff", style="filled", shape="box"];
    "b/qvb-vm1" [label="qvb-vm1", fillcolor="#cfe2ff", style="filled", shape="box"];
    "b/qvo-vm1" [label="qvo-vm1\\ntag 1", fillcolor="#cfe2ff", style="filled", shape="box"];
    "b/vm/vm1" -> "b/tap-vm1" [color="#444444", fontcolor="#444444"];
    "b/tap-vm1" -> "b/qbr-vm1" [color="#444444", fontcolor="#444444"];
    "b/qbr-vm1" -> "b/qvb-vm1" [color="#444444", fontcolor="#444444"];
    "b/qvb-vm1" -> "b/qvo-vm1" [color="#444444", fontcolor="#444444"];
    "b/qvo-vm1" -> "b/br-int" [color="#444444", fontcolor="#444444"];
    "b/extra/stray" [label="stray (internal)\\nnot in state", color="#ff7f0e", fontcolor="#ff7f0e", fillcolor="#fff0e0", style="dashed,filled", penwidth="2"];
    "b/extra/stray" -> "b/br-int" [color="#ff7f0e", fontcolor="#ff7f0e", style="dashed", penwidth="2"];
  }
  "a/br-tun" -> "b/br-tun" [label="VXLAN VNI 0x813\\na: vxlan-0a000002\\nb: vxlan-0a000001 MISSING", color="#d62728", fontcolor="#d62728", style="dashed", penwidth="2"];
}
`,
        );
    });

    it("a host that answers with everything: no red or orange at all", () => {
        const whole = structuredClone(input);
        whole.live.b.bridges[0].ports = whole.live.b.bridges[0].ports.filter((p) => p.name !== "stray");
        whole.live.b.bridges[1].ports.push({ name: "vxlan-0a000001", type: "vxlan", ofport: 2, options: { remote_ip: "10.0.0.1" } });
        const text = toDot(whole);
        assert.doesNotMatch(text, /#d62728|#ff7f0e|MISSING|not in state/);
        assert.match(text, /"a\/br-tun" -> "b\/br-tun" \[label="VXLAN VNI 0x813\\na: vxlan-0a000002\\nb: vxlan-0a000001", color="#1f5fa8"/);
    });

    it("a missing VM namespace, qbr and qvo: the VM and its chain drawn missing; an unreachable host drawn as such", () => {
        const gone = structuredClone(input);
        gone.live.b.netns = [];
        gone.live.b.links = gone.live.b.links.filter((l) => l.name !== "qbr-vm1");
        gone.live.b.bridges[0].ports = gone.live.b.bridges[0].ports.filter((p) => p.name !== "qvo-vm1");
        gone.live.a = { error: "connect ECONNREFUSED 10.0.0.1:22", bridges: [], links: [], netns: [], flows: {} };
        const text = toDot(gone);
        assert.match(text, /"b\/vm\/vm1" \[label="vm1 \(netns\)\\nfa:16:3e:00:00:05\\n192.168.10.5 · net1\\nMISSING on b", shape="ellipse", color="#d62728"/);
        assert.match(text, /"b\/qbr-vm1" \[label="qbr-vm1\\nMISSING on b"/);
        assert.match(text, /"b\/qvo-vm1" \[label="qvo-vm1\\ntag 1\\nMISSING on b"/);
        assert.match(text, /"b\/tap-vm1" \[label="tap-vm1", fillcolor="#cfe2ff"/); // the tap is still there
        assert.match(text, /"b\/tap-vm1" -> "b\/qbr-vm1" \[color="#d62728", fontcolor="#d62728", style="dashed", penwidth="2"\]/);
        assert.match(text, /graph \[label="a \(network\)\\n10.0.0.1\\nUNREACHABLE: connect ECONNREFUSED 10.0.0.1:22", style="rounded,dashed", color="#d62728"/);
        // nothing of an unreadable host is called missing: it is not known
        assert.doesNotMatch(text, /MISSING on a/);
    });

    it("a libvirt VM whose domain is not running: drawn missing, its tap too (libvirt removes it)", () => {
        const g = structuredClone(input);
        g.outputs.machines[0] = { ...g.outputs.machines[0], kind: "libvirt", namespace: undefined, domain: "t-vm1" };
        g.state.push({ kind: "domain", host: "b", name: "t-vm1" });
        g.live.b.domains = ["t-vm1"];
        assert.match(toDot(g), /"b\/vm\/vm1" \[label="vm1 \(libvirt\)\\nfa:16:3e:00:00:05\\n192.168.10.5 · net1", shape="ellipse", fillcolor="#cfe2ff"/);
        g.live.b.domains = [];
        g.live.b.links = g.live.b.links.filter((l) => l.name !== "tap-vm1");
        const text = toDot(g);
        assert.match(text, /"b\/vm\/vm1" \[label="vm1 \(libvirt\)\\nfa:16:3e:00:00:05\\n192.168.10.5 · net1\\nMISSING on b", shape="ellipse", color="#d62728"/);
        assert.match(text, /"b\/tap-vm1" \[label="tap-vm1\\nMISSING on b"/);
    });

    it("a tunnel on the host to no host of the stack: its own node, orange", () => {
        const stray = structuredClone(input);
        stray.live.a.bridges[1].ports.push({ name: "vxlan-c0a80001", type: "vxlan", ofport: 7, options: { remote_ip: "192.168.0.1" } });
        assert.match(
            toDot(stray),
            /"a\/tunnel\/vxlan-c0a80001" \[label="vxlan-c0a80001\\nto 192.168.0.1\\nnot in state", color="#ff7f0e"[^\n]*\n {2}"a\/br-tun" -> "a\/tunnel\/vxlan-c0a80001" \[color="#ff7f0e"/,
        );
    });

    it("dot lays it out; labels from the state are text, never markup (quotes, <, & survive)", () => {
        const odd = structuredClone(input);
        odd.outputs.machines[0].id = 'vm"<b>&x';
        const svg = dot(toDot(odd));
        assert.match(svg, /<text[^>]*>vm&quot;&lt;b&gt;&amp;x \(netns\)<\/text>/);
        assert.match(svg, /<text[^>]*>b: vxlan&#45;0a000001 MISSING<\/text>/);
        assert.match(svg, /stroke="#d62728" stroke-width="2" stroke-dasharray="5,2"/);
        assert.equal((svg.match(/<g id="clust\d+" class="cluster">/g) ?? []).length, 3);
    });
});
