// Links in the project's Markdown: every relative link must name a file (and heading) inside the
// repository, and no link may leave it (the docs describe in their own words instead). Pure
// functions over text, plus one that checks a link against a directory tree.
import * as fs from "fs";
import * as path from "path";

export interface DocLink {
    target: string;
    line: number;
}

/** Markdown with the contents of fenced code blocks blanked out (line numbers kept). */
export function withoutFences(md: string): string {
    const out: string[] = [];
    let fence: string | undefined;
    for (const line of md.split("\n")) {
        const m = line.match(/^\s{0,3}(`{3,}|~{3,})/);
        if (fence) {
            if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = undefined;
            out.push("");
        } else if (m) {
            fence = m[1];
            out.push("");
        } else {
            out.push(line);
        }
    }
    return out.join("\n");
}

/** Markdown with fenced code blocks and inline code spans blanked out (line numbers kept). */
export function withoutCode(md: string): string {
    return withoutFences(md)
        .split("\n")
        .map((line) => line.replace(/(`+)[^`]*?\1/g, (s) => " ".repeat(s.length)))
        .join("\n");
}

/** Inline links and images `[text](target)`, reference definitions `[x]: target`, autolinks `<scheme:…>`, bare URLs. */
export function extractLinks(md: string): DocLink[] {
    const links: DocLink[] = [];
    withoutCode(md)
        .split("\n")
        .forEach((text, i) => {
            const line = i + 1;
            for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line });
            const def = text.match(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/);
            if (def) links.push({ target: def[1], line });
            for (const m of text.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) links.push({ target: m[1], line });
            // GitHub turns bare http(s):// and www. text into links too.
            for (const m of text.replace(/\]\([^)]*\)/g, "]()").matchAll(/(?:^|[\s(])((?:https?:\/\/|www\.)[^\s)<>]+)/gi)) links.push({ target: m[1], line });
        });
    return links;
}

/** GitHub's anchor for a heading: lower case, punctuation and symbols dropped, spaces to '-'. */
export function slug(heading: string): string {
    return heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
}

/** Every anchor a Markdown file has: its headings' slugs, repeated ones numbered as GitHub does. */
export function anchors(md: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const line of withoutFences(md).split("\n")) {
        const m = line.match(/^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
        if (!m) continue;
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n ? `${base}-${n}` : base);
    }
    return out;
}

/**
 * What is wrong with `target`, linked from the file `from` (absolute) in the repository at `root`,
 * or undefined when it resolves to a file (and heading) inside it.
 */
export function checkLink(root: string, from: string, target: string): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//") || /^www\./i.test(target)) return `${target} leaves the repository`;
    const [rawPath, fragment] = target.split("#", 2) as [string, string | undefined];
    let file = from;
    if (rawPath) {
        if (rawPath.startsWith("/")) return `${target}: an absolute path (write it relative to ${path.relative(root, from)})`;
        let rel: string;
        try {
            rel = decodeURIComponent(rawPath.split("?")[0]);
        } catch {
            return `${target}: not a valid path`;
        }
        file = path.resolve(path.dirname(from), rel);
        const inside = path.relative(root, file);
        if (inside.startsWith("..") || path.isAbsolute(inside)) return `${target} leaves the repository`;
        if (!fs.existsSync(file)) return `${target}: no such file ${inside}`;
    }
    if (fragment !== undefined && fragment !== "" && file.endsWith(".md") && fs.statSync(file).isFile()) {
        if (!anchors(fs.readFileSync(file, "utf8")).has(fragment.toLowerCase())) return `${target}: ${path.relative(root, file)} has no heading #${fragment}`;
    }
    return undefined;
}

/** Every Markdown file under `root`, skipping dot-directories and node_modules. */
export function markdownFiles(root: string, dir = root): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith(".") || e.name === "node_modules") continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...markdownFiles(root, p));
        else if (e.isFile() && e.name.endsWith(".md")) out.push(p);
    }
    return out.sort();
}

/** Every broken or outward link in the Markdown files under `root`, as `file:line: problem`. */
export function brokenLinks(root: string): string[] {
    const problems: string[] = [];
    for (const file of markdownFiles(root)) {
        for (const l of extractLinks(fs.readFileSync(file, "utf8"))) {
            const p = checkLink(root, file, l.target);
            if (p) problems.push(`${path.relative(root, file)}:${l.line}: ${p}`);
        }
    }
    return problems;
}
