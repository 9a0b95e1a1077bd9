#!/usr/bin/env node
// Answers the golden requests with the native CLI, for the WASM parity test
// (tests/js/golden.test.mjs):
//   tests/golden/requests.jsonl           -> build/golden/native-recommend.jsonl
//   tests/golden/estimate-requests.jsonl  -> build/golden/native-estimate.jsonl
// Each output line: {id, exit_code, stdout}. The CLI reads the very files the
// WASM module was built from: catalogs and artifacts are unpacked from the data
// snapshot (build/npm/ftconfig-data.json) into build/golden/data and
// build/golden/models, and the raw corpus files (the bundle carries them
// normalized) are copied from data/corpus after checking the SHA-256 the
// bundle lists, so a data/ or models/ change after the snapshot was built
// cannot make the two disagree.
//
//   node tests/golden/native-answers.mjs [--cli build/bin/ftconfig] [--bundle build/npm/ftconfig-data.json] [--out build/golden]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : def;
};
const cli = opt('--cli', path.join(root, 'build', 'bin', 'ftconfig'));
const out = opt('--out', path.join(root, 'build', 'golden'));
const bundlePath = opt('--bundle', path.join(process.env.FTCONFIG_NPM_DIR ? path.resolve(process.env.FTCONFIG_NPM_DIR) : path.join(root, 'build', 'npm'), 'ftconfig-data.json'));
const dataDir = path.join(out, 'data');
const sourceDataDir = opt('--data-dir', process.env.FTCONFIG_DATA_DIR ? path.resolve(process.env.FTCONFIG_DATA_DIR) : path.join(root, 'data'));
const modelsDir = path.join(out, 'models');

// Writes the snapshot's files as the CLI's data and models folders.
function unpackSnapshot() {
  const bundle = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dataDir, 'catalog'), { recursive: true });
  fs.mkdirSync(path.join(dataDir, 'corpus'), { recursive: true });
  for (const [name, text] of Object.entries(bundle.catalog)) fs.writeFileSync(path.join(dataDir, 'catalog', `${name}.json`), text);
  // The bundle carries the corpus normalized (corpus_snapshot); the CLI reads
  // the raw files it was made from, which the bundle names with their hashes.
  const corpusFiles = (bundle.snapshot?.files || []).filter((f) => f.name.startsWith('corpus/'));
  if (!corpusFiles.length) throw new Error(`${bundlePath} lists no corpus files in snapshot.files`);
  for (const f of corpusFiles) {
    const src = path.join(sourceDataDir, f.name);
    const buf = fs.existsSync(src) ? fs.readFileSync(src) : null;
    if (!buf || createHash('sha256').update(buf).digest('hex') !== f.sha256) {
      throw new Error(`${src} is not the file ${bundlePath} was built from: rebuild it (bash scripts/build.sh --wasm)`);
    }
    fs.writeFileSync(path.join(dataDir, f.name), buf);
  }
  const models = Object.entries(bundle.models || {});
  if (models.length) {
    fs.mkdirSync(modelsDir, { recursive: true });
    const registry = { format_version: 1, models: [] };
    for (const [kind, text] of models) {
      fs.writeFileSync(path.join(modelsDir, `${kind}.json`), text);
      registry.models.push({ kind, name: kind, path: `${kind}.json`, slot: 'production' });
    }
    fs.writeFileSync(path.join(modelsDir, 'registry.json'), JSON.stringify(registry, null, 1));
  }
}

export function readJsonl(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function dirArgs() {
  // The models folder is optional; without it the CLI must not look elsewhere.
  return ['--data-dir', dataDir, '--models-dir', fs.existsSync(modelsDir) ? modelsDir : ''];
}

function run(argv, input) {
  const r = spawnSync(cli, [...dirArgs(), ...argv], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run ${cli}: ${r.error.message}`);
  return r;
}

function main() {
  if (!fs.existsSync(cli)) {
    console.error(`native-answers: ${cli} is missing: run scripts/build.sh first`);
    process.exit(1);
  }
  if (!fs.existsSync(bundlePath)) {
    console.error(`native-answers: ${bundlePath} is missing: run scripts/build.sh --wasm first`);
    process.exit(1);
  }
  fs.mkdirSync(out, { recursive: true });
  unpackSnapshot();

  const recommend = readJsonl(path.join(here, 'requests.jsonl')).map(({ id, request }) => {
    const r = run(['recommend', '-'], JSON.stringify(request));
    return { id, exit_code: r.status, stdout: r.stdout };
  });
  fs.writeFileSync(path.join(out, 'native-recommend.jsonl'), recommend.map((x) => JSON.stringify(x)).join('\n') + '\n');

  const inputs = readJsonl(path.join(here, 'estimate-requests.jsonl'));
  const r = run(['estimate', '--jsonl', '-'], inputs.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  if (lines.length !== inputs.length) {
    console.error(`native-answers: estimate answered ${lines.length} lines for ${inputs.length} inputs`);
    process.exit(1);
  }
  const estimate = inputs.map((x, i) => ({ id: x.id, exit_code: r.status, stdout: lines[i] }));
  fs.writeFileSync(path.join(out, 'native-estimate.jsonl'), estimate.map((x) => JSON.stringify(x)).join('\n') + '\n');
  console.log(`native-answers: ${recommend.length} recommendations, ${estimate.length} estimates -> ${path.relative(root, out)}/`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
