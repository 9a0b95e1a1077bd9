#!/usr/bin/env node
// Assembles the static site (build/site/) and the npm payload (build/npm/)
// from the WebAssembly build, web/ and the bundled data in data/.
//
//   node scripts/build-site.mjs [--wasm-dir build-wasm/wasm] [--out build]
//
// The data snapshot (ftconfig-data.json) holds the catalog files verbatim, as
// strings, and the corpus as the native CLI normalizes it (`ftconfig corpus
// snapshot`, from the files in the order companion/data_files.cpp reads them),
// with the raw files' sizes and hashes as provenance. It is plain JSON so that
// any static host compresses it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : def;
};
const wasmDir = opt('--wasm-dir', path.join(root, 'build-wasm', 'wasm'));
const outDir = opt('--out', path.join(root, 'build'));
const dataDir = opt('--data-dir', process.env.FTCONFIG_DATA_DIR || path.join(root, 'data'));
const modelsDir = opt('--models-dir', process.env.FTCONFIG_MODELS_DIR || path.join(root, 'models'));
const siteDir = path.join(outDir, 'site');
const npmDir = path.join(outDir, 'npm');

const MODULE_FILES = ['ftconfig-wasm.js', 'ftconfig-wasm.wasm', 'ftconfig-plan.js', 'ftconfig-plan.wasm'];
// The wrapper and its types come straight from the sources (always current).
const WRAPPER_FILES = ['api.js', 'ftconfig.d.ts'];
// The export module exists once the engine has exports (engine/src/export.cpp).
const OPTIONAL_FILES = ['ftconfig-export.js', 'ftconfig-export.wasm'];
const CATALOG_FILES = ['gpus', 'platforms', 'models', 'stacks', 'tasks', 'datasets'];
// The most corpus rows the page's data snapshot carries (~0.14 KB gzip each).
const rawOpt = (name, def) => (args.includes(name) && args[args.indexOf(name) + 1] ? args[args.indexOf(name) + 1] : def);
const MAX_BUNDLE_ROWS = Number(rawOpt('--max-bundle-rows', process.env.FTCONFIG_MAX_BUNDLE_ROWS || '800'));
if (!Number.isInteger(MAX_BUNDLE_ROWS) || MAX_BUNDLE_ROWS < 1 || MAX_BUNDLE_ROWS > 1e7) {
  console.error('build-site: --max-bundle-rows must be an integer from 1 to 10000000');
  process.exit(2);
}

function fail(message) {
  console.error(`build-site: ${message}`);
  process.exit(1);
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// The corpus files the native CLI reads, in its order: configs.jsonl, then
// real_world*.jsonl and fixed*.jsonl sorted by name.
function corpusFiles() {
  const dir = path.join(dataDir, 'corpus');
  const extra = fs.readdirSync(dir)
    .filter((n) => (n.startsWith('real_world') || n.startsWith('fixed')) && n.endsWith('.jsonl'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ['configs.jsonl', ...extra];
}

function buildSnapshot() {
  const catalog = {};
  const files = [];
  for (const name of CATALOG_FILES) {
    const p = path.join(dataDir, 'catalog', `${name}.json`);
    if (!fs.existsSync(p)) {
      if (name === 'datasets') continue; // optional, as in the CLI
      fail(`missing ${p}`);
    }
    const buf = fs.readFileSync(p);
    catalog[name] = buf.toString('utf8');
    files.push({ name: `catalog/${name}.json`, bytes: buf.length, sha256: sha256(buf) });
  }
  for (const name of corpusFiles()) {
    const buf = fs.readFileSync(path.join(dataDir, 'corpus', name));
    files.push({ name: `corpus/${name}`, bytes: buf.length, sha256: sha256(buf) });
  }
  const corpus = normalizedCorpus();
  let manifest = {};
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dataDir, 'corpus', 'MANIFEST.json'), 'utf8'));
  } catch {
    // Optional provenance.
  }
  const models = productionModels(files);
  const snapshot = {
    corpus_build_id: manifest.build_id ?? null,
    corpus_build_date: manifest.build_date ?? null,
    corpus_rows: manifest.row_count ?? null,
    // Set when the page carries a sample of the corpus (Corpus::Distill): the rows it was drawn from.
    corpus_distilled_from: corpus.distilled_from,
    files,
  };
  snapshot.id = sha256(JSON.stringify(files)).slice(0, 12);
  // corpus_snapshot: the corpus files above, normalized by the native CLI
  // (`ftconfig corpus snapshot`); the engine loads it instead of re-parsing the
  // JSONL (docs/performance.md, cold start). Its records equal what the CLI
  // builds from the same files (tests/engine/corpus_test.cpp).
  const out = { format: 'ftconfig-data', format_version: 2, snapshot, catalog, corpus_snapshot: corpus.text };
  if (Object.keys(models).length) out.models = models;
  return out;
}

// The normalized corpus, made by the native CLI of the same source tree (one
// engine, one normalization). Built by scripts/build.sh before this script.
// A corpus over MAX_BUNDLE_ROWS is distilled (`corpus snapshot --max-rows`,
// Corpus::Distill): the first answer's transfer has a 500 KB budget whatever
// the corpus size (docs/performance.md); the native CLI keeps every row.
function normalizedCorpus() {
  const bin = opt('--bin', process.env.FTCONFIG_BIN || path.join(root, 'build', 'bin', 'ftconfig'));
  if (!fs.existsSync(bin)) fail(`${bin} is missing: build the native CLI first (bash scripts/build.sh)`);
  const run = spawnSync(bin, ['--data-dir', dataDir, 'corpus', 'snapshot', '--max-rows', String(MAX_BUNDLE_ROWS)],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) fail(`${bin} corpus snapshot failed (exit ${run.status}): ${run.stderr || run.error}`);
  const distilled = /distilled: (\d+) of (\d+) rows/.exec(run.stderr || '');
  if (distilled) console.error(`build-site: the page's corpus is a sample of ${distilled[1]} of ${distilled[2]} rows (--max-bundle-rows)`);
  return { text: run.stdout.trim(), distilled_from: distilled ? Number(distilled[2]) : null };
}

// The model registry (models/registry.json, format_version 2 or 1; see
// companion/model_registry.h): the artifacts of a slot, chosen as the native
// CLI chooses them (companion/data_files.cpp, ReadEngineData).
function readRegistry() {
  const registryPath = path.join(modelsDir, 'registry.json');
  if (!fs.existsSync(registryPath)) return null;
  let registry;
  try {
    registry = JSON.parse(fs.readFileSync(registryPath, 'utf8'));
  } catch (e) {
    fail(`${registryPath} is not valid JSON: ${e.message}`);
  }
  if (!registry || typeof registry !== 'object') fail(`${registryPath} must be a JSON object`);
  const fv = registry.format_version ?? 1;
  if (fv === 1) {
    if (!Array.isArray(registry.models)) fail(`${registryPath} must be an object with a "models" array`);
    const artifacts = {};
    for (const m of registry.models) {
      if (!m || typeof m !== 'object' || m.slot !== 'production' || !m.path) continue;
      const kind = String(m.kind ?? m.name ?? '');
      const key = kind.includes('reranker') ? 'reranker' : kind.includes('hp') || kind.includes('predictor') ? 'hp_predictor' : null;
      if (key) artifacts[key] = { path: m.path, version: m.version };
    }
    return { path: registryPath, slots: { production: { version: null, artifacts } }, canary_fraction: 0 };
  }
  if (fv !== 2) fail(`${registryPath}: format_version ${fv} is newer than this build reads (1, 2)`);
  if (!Array.isArray(registry.versions)) fail(`${registryPath}: "versions" must be an array`);
  const slots = {};
  for (const slot of ['production', 'canary']) {
    const id = registry.aliases && registry.aliases[slot];
    if (!id) continue;
    const v = registry.versions.find((x) => x && x.version === id);
    if (!v) fail(`${registryPath}: aliases.${slot} names "${id}", which is not a version`);
    slots[slot] = { version: id, artifacts: v.artifacts || {} };
  }
  return { path: registryPath, slots, canary_fraction: Number(registry.canary_fraction) || 0 };
}

// {reranker?, hp_predictor?, calibration?} artifact texts of one slot; each
// file is listed (with its digest) in `files` when given.
function slotModels(registry, slot, files) {
  const models = {};
  const entry = registry && registry.slots[slot];
  if (!entry) return models;
  for (const [kind, a] of Object.entries(entry.artifacts)) {
    if (!['reranker', 'hp_predictor', 'calibration'].includes(kind) || !a || !a.path) continue;
    const p = path.isAbsolute(a.path) ? a.path : path.join(modelsDir, a.path);
    if (!fs.existsSync(p)) fail(`${registry.path} names ${a.path}, which is missing`);
    const buf = fs.readFileSync(p);
    if (a.sha256 && sha256(buf) !== a.sha256) fail(`${registry.path}: ${a.path} does not match its sha256`);
    models[kind] = buf.toString('utf8');
    if (files) files.push({ name: `models/${path.relative(modelsDir, p).split(path.sep).join('/')}`, bytes: buf.length, sha256: sha256(buf) });
  }
  return models;
}

const registry = readRegistry();

function productionModels(files) {
  return slotModels(registry, 'production', files);
}

function copyDir(from, to, skip = () => false) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (skip(src)) continue;
    if (entry.isDirectory()) copyDir(src, dst, skip);
    else if (entry.isFile()) fs.copyFileSync(src, dst);
  }
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

for (const f of MODULE_FILES) {
  if (!fs.existsSync(path.join(wasmDir, f))) fail(`missing ${path.join(wasmDir, f)}: run scripts/build.sh --wasm first`);
}

const bundle = buildSnapshot();
const bundleText = JSON.stringify(bundle);

// --- build/npm: what the npm package ships (package.json "files").
fs.rmSync(npmDir, { recursive: true, force: true });
fs.mkdirSync(npmDir, { recursive: true });
const optional = OPTIONAL_FILES.filter((f) => fs.existsSync(path.join(wasmDir, f)));
for (const f of [...MODULE_FILES, ...optional]) fs.copyFileSync(path.join(wasmDir, f), path.join(npmDir, f));
for (const f of WRAPPER_FILES) fs.copyFileSync(path.join(root, 'wasm', f), path.join(npmDir, f));
fs.writeFileSync(path.join(npmDir, 'ftconfig-data.json'), bundleText);

// --- build/site: web/ + the module + the data.
fs.rmSync(siteDir, { recursive: true, force: true });
copyDir(path.join(root, 'web'), siteDir);
for (const f of [...MODULE_FILES, ...optional]) fs.copyFileSync(path.join(wasmDir, f), path.join(siteDir, f));
fs.copyFileSync(path.join(root, 'wasm', 'api.js'), path.join(siteDir, 'api.js'));
fs.writeFileSync(path.join(siteDir, 'ftconfig-data.json'), bundleText);

// Model slots (web/slots.js): production's artifacts are in ftconfig-data.json;
// the canary's, when the registry has one, in models-canary.json. The manifest
// says which versions they are and the share of clients the canary serves.
const modelsManifest = { format: 'ftconfig-models', format_version: 1, canary_fraction: 0, slots: {} };
if (registry && registry.slots.production) modelsManifest.slots.production = { version: registry.slots.production.version };
if (registry && registry.slots.canary && registry.canary_fraction > 0) {
  const canaryModels = slotModels(registry, 'canary', null);
  const file = 'models-canary.json';
  fs.writeFileSync(path.join(siteDir, file), JSON.stringify(canaryModels));
  modelsManifest.slots.canary = { version: registry.slots.canary.version, file, sha256: sha256(fs.readFileSync(path.join(siteDir, file))) };
  modelsManifest.canary_fraction = registry.canary_fraction;
}
fs.writeFileSync(path.join(siteDir, 'ftconfig-models.json'), `${JSON.stringify(modelsManifest, null, 1)}\n`);

// Build-time site settings (web/config.js): a collector the page offers for
// opt-in uploads of the local log.
if (process.env.FTCONFIG_COLLECTOR_URL) {
  const config = { collectorUrl: process.env.FTCONFIG_COLLECTOR_URL };
  fs.writeFileSync(path.join(siteDir, 'config.js'),
    `// Written by scripts/build-site.mjs from FTCONFIG_COLLECTOR_URL.\nexport const CONFIG = ${JSON.stringify(config)};\n`);
}

// One script per entry point (the page, the engine worker, the widget), each
// with everything it imports, minified: on HTTP/1.1 (localhost, many static
// hosts) a browser opens six connections per host, and a chain of module
// imports costs a round trip per level; the worker's fetches of the module and
// the data start only once its script has run (cold start,
// docs/performance.md). web/ stays plain modules (the tests import them); the
// site's copies of web/'s modules bundled in are removed (api.js and the glue
// stay: `import { createEngine } from './api.js'` is public). Without esbuild
// (npm ci not run) the site is left unbundled: it works, a little slower.
await bundleScripts();

async function bundleScripts() {
  const entries = ['app.js', 'worker.js', 'widget.js'];
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    console.warn('build-site: esbuild is not installed (npm ci): the site keeps its modules unbundled');
    return;
  }
  const result = await esbuild.build({
    entryPoints: entries.map((f) => path.join(siteDir, f)),
    outdir: siteDir,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    // Loaded on demand, next to the script: the export and planning modules (api.js) and Node's fs (api.js in Node only).
    external: ['./ftconfig-export.js', './ftconfig-plan.js', 'node:*'],
    metafile: true,
    logLevel: 'silent',
  }).catch((e) => fail(`bundling ${entries.join(', ')} failed: ${e.message}`));
  const inlined = new Set();
  for (const [out, info] of Object.entries(result.metafile.outputs)) {
    if (!out.endsWith('.js')) continue;
    for (const input of Object.keys(info.inputs)) inlined.add(path.basename(input));
  }
  for (const f of inlined) {
    const fromWeb = fs.existsSync(path.join(root, 'web', f));
    if (fromWeb && !entries.includes(f) && fs.existsSync(path.join(siteDir, f))) fs.rmSync(path.join(siteDir, f));
  }
}

// The service worker precaches every file of the site and the docs page
// (offline after the first visit); its version changes with any file's content.
const swPath = path.join(siteDir, 'sw.js');
if (fs.existsSync(swPath)) {
  const files = listFiles(siteDir).filter((f) => f !== 'sw.js');
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(fs.readFileSync(path.join(siteDir, f)));
  const version = hash.digest('hex').slice(0, 12);
  const sw = fs.readFileSync(swPath, 'utf8')
    .replace('__FTCONFIG_VERSION__', version)
    // The examples folder holds test pages, except the docs page users read offline too.
    .replace('[/* __FTCONFIG_FILES__ */]', JSON.stringify(['./', ...files.filter((f) => (!f.startsWith('examples/') || f === 'examples/docs-page.html') && !f.endsWith('.map'))]));
  fs.writeFileSync(swPath, sw);
}

const size = (p) => fs.statSync(p).size;
console.log(`build-site: ${path.relative(root, siteDir)}/ (${listFiles(siteDir).length} files; wasm ${size(path.join(siteDir, 'ftconfig-wasm.wasm'))} B, data ${bundleText.length} B; models production ${modelsManifest.slots.production?.version ?? '-'}, canary ${modelsManifest.slots.canary ? `${modelsManifest.slots.canary.version} at ${modelsManifest.canary_fraction}` : '-'}) and ${path.relative(root, npmDir)}/`);
