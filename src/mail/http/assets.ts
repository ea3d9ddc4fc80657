// The static files under assets/ (CSS and JS modules), read once at start. Only files
// listed here are served, with their type; nothing else on disk is reachable.
import { readFile } from 'node:fs/promises';

const FILES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
};

export async function loadAssets(): Promise<Map<string, { type: string; data: Buffer }>> {
  const out = new Map<string, { type: string; data: Buffer }>();
  for (const [name, type] of Object.entries(FILES)) {
    out.set(name, { type, data: await readFile(new URL(`./assets/${name}`, import.meta.url)) });
  }
  return out;
}
