// Shared by the node:test suites: where the build is, and one engine per file.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The npm payload built by scripts/build-site.mjs (override: FTCONFIG_NPM_DIR).
export const npmDir = process.env.FTCONFIG_NPM_DIR ? path.resolve(process.env.FTCONFIG_NPM_DIR) : path.join(root, 'build', 'npm');

export async function loadApi() {
  return import(pathToFileURL(path.join(npmDir, 'api.js')).href);
}

let enginePromise = null;
export async function loadEngine() {
  if (!enginePromise) enginePromise = loadApi().then((api) => api.createEngine());
  return enginePromise;
}

// JSON text without the whitespace between tokens (strings kept verbatim):
// the native CLI's `dump(2)` output becomes the engine's compact `dump()`.
export function compactJson(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
      out += c;
    }
  }
  return out;
}
