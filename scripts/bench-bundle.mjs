#!/usr/bin/env node
// The page's data snapshot against the corpus size (issue #21). Not a test:
// prints, for each corpus of scripts/bench-scale.sh (build/bench-scale/<rows>,
// made by `bash scripts/bench-scale.sh --sizes ...` first), the gzip size of
// the page's ftconfig-data.json and how the page's answers (the WASM engine on
// the distilled snapshot) compare with the native CLI's on the whole corpus,
// field by field, over the golden requests (tests/golden/requests.jsonl).
//
//   node scripts/bench-bundle.mjs [--sizes 1000,10000,100000] [--max-bundle-rows 800]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const sizes = opt('--sizes', '1000,10000,100000').split(',').map(Number);
const maxRows = opt('--max-bundle-rows', '800');
const cli = path.join(root, 'build', 'bin', 'ftconfig');
const FIELDS = ['learning_rate', 'max_seq_length', 'lora_r', 'lora_alpha', 'lora_target', 'effective_batch_size',
  'batch_size_per_device', 'num_epochs', 'optimizer', 'lr_scheduler', 'warmup_ratio', 'precision', 'adapter_type'];
const requests = fs.readFileSync(path.join(root, 'tests', 'golden', 'requests.jsonl'), 'utf8')
  .split('\n').filter(Boolean).map((l) => JSON.parse(l));

function native(dataDir, request) {
  const run = spawnSync(cli, ['--data-dir', dataDir, 'recommend', '-'], { input: JSON.stringify(request), encoding: 'utf8' });
  return run.status === 0 ? JSON.parse(run.stdout) : null;
}

async function page(outDir) {
  const api = await import(pathToFileURL(path.join(outDir, 'npm', 'api.js')).href);
  return api.createEngine();
}

for (const n of sizes) {
  const dataDir = path.join(root, 'build', 'bench-scale', String(n));
  if (!fs.existsSync(path.join(dataDir, 'corpus', 'configs.jsonl'))) {
    console.log(`${n}: ${dataDir} is missing (bash scripts/bench-scale.sh --sizes ${n})`);
    continue;
  }
  const outDir = path.join(root, 'build', 'bench-bundle', String(n));
  const build = spawnSync('node', [path.join(root, 'scripts', 'build-site.mjs'), '--wasm-dir', path.join(root, 'build-wasm', 'wasm'),
    '--out', outDir, '--data-dir', dataDir, '--max-bundle-rows', maxRows], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  const data = fs.readFileSync(path.join(outDir, 'site', 'ftconfig-data.json'));
  const engine = await page(outDir);
  const same = Object.fromEntries(FIELDS.map((f) => [f, 0]));
  let compared = 0;
  for (const { request } of requests) {
    const a = native(dataDir, request);
    let b = null;
    try { b = engine.recommend(request); } catch { /* refused by both, or only by one: below */ }
    if (!a || !b || !a.fits || !b.fits) continue;
    compared += 1;
    for (const f of FIELDS) if (JSON.stringify(a.hyperparameters[f]) === JSON.stringify(b.hyperparameters[f])) same[f] += 1;
  }
  const rows = JSON.parse(JSON.parse(data.toString()).corpus_snapshot).rows.length;
  console.log(`${n} rows generated: page data ${(zlib.gzipSync(data, { level: 9 }).length / 1024).toFixed(1)} KB gzip, ` +
    `${rows} rows bundled; golden requests compared ${compared}; equal to the native whole-corpus answer: ` +
    FIELDS.map((f) => `${f} ${same[f]}`).join(', '));
  engine.dispose();
}
