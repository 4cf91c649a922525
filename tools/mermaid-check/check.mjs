// Reads Mermaid text on stdin and parses it with Mermaid's own parser (in a
// jsdom window, as Mermaid expects a browser). Exit 0 and "ok" when Mermaid
// accepts it; exit 1 and Mermaid's error otherwise.
import { JSDOM } from 'jsdom';
import fs from 'fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
const text = fs.readFileSync(0, 'utf8');
try {
  const r = await mermaid.parse(text);
  console.log('ok', r.diagramType);
} catch (e) {
  console.error('mermaid refused the diagram:', e.message || e);
  process.exit(1);
}
