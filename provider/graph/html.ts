// `graph`: the self-contained HTML page, a pure function: the SVG dot drew, inline, and per host
// and bridge a table of its ports (state and host side by side) and its flows.
import type { GraphInput } from "./dot";
import { EXTRA, MISSING } from "./dot";
import { extraPorts, Status, statusOf } from "./model";

/** Text for HTML element content and attribute values. */
export function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** dot's SVG without its XML prolog and DOCTYPE, to sit inside HTML. */
export function inlineSvg(svg: string): string {
    const i = svg.indexOf("<svg");
    if (i < 0) throw new Error("not an SVG document (no <svg element)");
    return svg.slice(i);
}

interface PortRow {
    name: string;
    ofport: string;
    type: string;
    tag: string;
    options: string;
    status: Status;
}

/** Every port of a bridge: those in the state (present or missing on the host) and those only on the host. */
export function portRows(g: GraphInput, host: string, bridge: string): PortRow[] {
    const live = g.live[host];
    const liveBridge = live?.bridges.find((b) => b.name === bridge);
    const rows: PortRow[] = [];
    for (const s of g.state) {
        if (s.kind !== "port" || s.host !== host || s.bridge !== bridge) continue;
        const lp = liveBridge?.ports.find((p) => p.name === s.name);
        rows.push({
            name: s.name,
            ofport: lp?.ofport !== undefined ? String(lp.ofport) : "",
            type: lp?.type ?? s.type,
            tag: String(lp?.tag ?? s.tag ?? ""),
            options: lp ? opts(lp.options) : s.remoteIp ? `remote_ip=${s.remoteIp}` : "",
            status: statusOf(s, live),
        });
    }
    for (const { bridge: b, port } of extraPorts(g.state, host, live))
        if (b === bridge)
            rows.push({
                name: port.name,
                ofport: String(port.ofport ?? ""),
                type: port.type,
                tag: String(port.tag ?? ""),
                options: opts(port.options),
                status: "extra",
            });
    return rows.sort((a, b) => (Number(a.ofport) || 1e9) - (Number(b.ofport) || 1e9) || a.name.localeCompare(b.name));
}

const opts = (o: Record<string, string>) =>
    Object.entries(o)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");

const STATUS_TEXT: Record<Status, string> = { ok: "ok", missing: "MISSING on host", extra: "not in state" };

export function toHtml(g: GraphInput, svg: string, generatedAt: string): string {
    const body: string[] = [];
    for (const h of g.outputs.hosts) {
        const live = g.live[h.name];
        body.push(`<h2 id="${esc(h.name)}">${esc(h.name)} <small>${esc(h.host)} · ${esc(h.role)}</small></h2>`);
        if (live?.error) body.push(`<p class="missing">could not read the host: ${esc(live.error)}</p>`);
        for (const b of g.state.filter((s) => s.kind === "bridge" && s.host === h.name)) {
            const rows = portRows(g, h.name, b.name);
            const flows = live?.flows[b.name] ?? [];
            body.push(
                `<h3>${esc(b.name)}${statusOf(b, live) === "missing" ? ' <span class="missing">MISSING on host</span>' : ""}</h3>`,
                `<table><thead><tr><th>port</th><th>ofport</th><th>type</th><th>tag</th><th>options</th><th>status</th></tr></thead><tbody>`,
                ...rows.map(
                    (r) =>
                        `<tr class="${r.status}"><td>${esc(r.name)}</td><td>${esc(r.ofport)}</td><td>${esc(r.type)}</td><td>${esc(r.tag)}</td><td>${esc(r.options)}</td><td>${esc(STATUS_TEXT[r.status])}</td></tr>`,
                ),
                `</tbody></table>`,
                `<details><summary>${flows.length} flows</summary><pre>${esc(flows.join("\n"))}</pre></details>`,
            );
        }
    }
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>dvrlab network: ${esc(g.stack)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #111; background: #fff; }
.graph svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12px; margin-bottom: 6px; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; font-family: monospace; }
tr.missing td, .missing { color: ${MISSING}; font-weight: bold; }
tr.extra td { color: ${EXTRA}; }
pre { font-size: 11px; overflow-x: auto; }
small { color: #666; font-weight: normal; }
</style></head>
<body>
<h1>dvrlab network: stack ${esc(g.stack)}</h1>
<p>Read ${esc(generatedAt)} from the stack's state and the hosts. Dashed red: in the state, missing on the host; dashed orange: on the host, not in the state. Fills: one colour per network.</p>
<div class="graph">
${inlineSvg(svg)}
</div>
${body.join("\n")}
</body></html>
`;
}
