// Parses Mermaid diagrams with the real parser (mermaid 11) under Node.
// Input on stdin: a JSON array of {"id", "code"}. Output on stdout: a JSON array of
// {"id", "ok", "error"}. mermaid.parse needs a DOM (DOMPurify sanitises labels), so a jsdom
// window stands in for the browser's; nothing is rendered, so no layout engine is needed.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
// Node ≥ 21 defines a read-only navigator; only older Nodes need jsdom's.
if (!("navigator" in globalThis)) globalThis.navigator = window.navigator;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

const blocks = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const { id, code } of blocks) {
  try {
    await mermaid.parse(code);
    results.push({ id, ok: true, error: null });
  } catch (error) {
    // The parser's message starts with where it stopped; its list of expected tokens is long,
    // and the token it got, at the end, says more.
    const lines = String(error?.message ?? error).split("\n");
    const got = lines.at(-1).match(/got '[^']*'$/)?.[0];
    const message = [...lines.slice(0, 3), got].filter(Boolean).join(" | ");
    results.push({ id, ok: false, error: message });
  }
}
process.stdout.write(JSON.stringify(results));
