#!/usr/bin/env node
// The web budgets (docs/performance.md). Not a test: prints the numbers and
// the machine they were taken on, and writes build/bench/web.json.
//   1. transfer for the first recommendation (gzip, what the server sent)
//   2. cold start: navigation to the first rendered recommendation, headless
//      Chromium on localhost, a fresh profile per run
//   3. warm recommend inside the worker, and native / Node-WASM on the same
//      requests (the request shapes of bench/bench_recommend.cpp)
//
//   node scripts/bench-web.mjs [--runs 15] [--iterations 2000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';


import { firstReadyAt, launch, root, serveSite, siteDir } from '../tests/browser/browser.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : def;
};
const RUNS = opt('--runs', 15);
const ITERATIONS = opt('--iterations', 2000);
const binDir = process.env.FTCONFIG_BIN_DIR ? path.resolve(process.env.FTCONFIG_BIN_DIR) : path.join(root, 'build', 'bin');
const npmDir = process.env.FTCONFIG_NPM_DIR ? path.resolve(process.env.FTCONFIG_NPM_DIR) : path.join(root, 'build', 'npm');

// The same requests as the native benchmark, read from its source.
const benchSource = fs.readFileSync(path.join(root, 'bench', 'bench_recommend.cpp'), 'utf8');
const REQUESTS = [...benchSource.matchAll(/R"\((\{.*?\})\)"/g)].map((m) => m[1]);
if (!REQUESTS.length) throw new Error('no requests found in bench/bench_recommend.cpp');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function machine() {
  const cpu = os.cpus()[0];
  return {
    cores: os.cpus().length,
    cpu: cpu ? cpu.model : 'unknown',
    load_average_1m: Number(os.loadavg()[0].toFixed(2)),
    chromium: (() => {
      try {
        return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return 'unknown';
      }
    })(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

function fileSizes() {
  const out = {};
  for (const f of fs.readdirSync(siteDir)) {
    const p = path.join(siteDir, f);
    if (!fs.statSync(p).isFile()) continue;
    const raw = fs.readFileSync(p);
    out[f] = { raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length };
  }
  return out;
}

async function coldRun(site, log) {
  // Service workers off: their precache (the whole site, for offline use)
  // would be counted as part of the first recommendation.
  const browser = await launch({ serviceWorkers: 'block' });
  try {
    const page = await browser.context.newPage();
    const readyAt = await firstReadyAt(page);
    log.length = 0;
    const start = performance.now();
    await page.goto(site.url);
    const readyMs = await readyAt();
    const untilReady = start + readyMs;
    const first = log.filter((r) => r.at <= untilReady);
    const bytes = first.reduce((s, r) => s + r.bytes, 0);
    // Where the time went: the page's DOMContentLoaded and the worker's steps
    // (web/worker.js, "timeline"), in ms from navigation start.
    const steps = await page.evaluate(async () => {
      const nav = performance.getEntriesByType('navigation')[0];
      const out = { dom_content_loaded: nav ? nav.domContentLoadedEventEnd : null };
      const t = await window.ftconfigEngine.call('timeline');
      for (const [k, v] of Object.entries(t)) out[k] = v - performance.timeOrigin;
      return out;
    });
    steps.rendered = readyMs;
    // Warm recommend in the worker, on this page.
    const bench = await page.evaluate(async ([requests, iterations]) => {
      await window.ftconfigEngine.call('bench', requests, 200);
      return window.ftconfigEngine.call('bench', requests, iterations);
    }, [REQUESTS, ITERATIONS]);
    return { cold_ms: readyMs, steps, transfer_bytes: bytes, files: first.map((r) => [r.url, r.bytes]), bench };
  } finally {
    await browser.close();
  }
}

async function nodeWasm() {
  const api = await import(pathToFileURL(path.join(npmDir, 'api.js')).href);
  const t0 = performance.now();
  const engine = await api.createEngine();
  const init = performance.now() - t0;
  for (let i = 0; i < 200; i++) engine.recommendJson(REQUESTS[i % REQUESTS.length]);
  const times = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    engine.recommendJson(REQUESTS[i % REQUESTS.length]);
    times.push(performance.now() - t);
  }
  return { init_ms: init, p50_ms: median(times) };
}

function native() {
  const bin = path.join(binDir, 'ftconfig_bench_recommend');
  if (!fs.existsSync(bin)) return null;
  const out = execFileSync(bin, [path.join(root, 'data'), String(ITERATIONS)], { encoding: 'utf8' });
  const p50 = /p50 ([\d.]+) us/.exec(out);
  const init = /init[^:]*: ([\d.]+) ms/.exec(out);
  return { p50_ms: p50 ? Number(p50[1]) / 1000 : null, init_ms: init ? Number(init[1]) : null, output: out.trim() };
}

const log = [];
const site = await serveSite('/', log);
const runs = [];
try {
  for (let i = 0; i < RUNS; i++) runs.push(await coldRun(site, log));
} finally {
  await site.close();
}
const sizes = fileSizes();
const result = {
  machine: machine(),
  requests: REQUESTS.length,
  iterations: ITERATIONS,
  transfer_first_recommendation_bytes: median(runs.map((r) => r.transfer_bytes)),
  transfer_files: runs[0].files,
  cold_start_ms: { median: median(runs.map((r) => r.cold_ms)), runs: runs.map((r) => Math.round(r.cold_ms)) },
  cold_start_steps_ms: Object.fromEntries(Object.keys(runs[0].steps)
    .map((k) => [k, median(runs.map((r) => r.steps[k]).filter((v) => typeof v === 'number'))])
    .sort((a, b) => a[1] - b[1])),
  worker_recommend_ms: { p50: median(runs.map((r) => r.bench.p50_ms)), p90: median(runs.map((r) => r.bench.p90_ms)) },
  node_wasm: await nodeWasm(),
  native: native(),
  sizes,
};
if (result.native && result.native.p50_ms) result.wasm_native_ratio_p50 = result.worker_recommend_ms.p50 / result.native.p50_ms;

fs.mkdirSync(path.join(root, 'build', 'bench'), { recursive: true });
fs.writeFileSync(path.join(root, 'build', 'bench', 'web.json'), JSON.stringify(result, null, 2) + '\n');

const m = result.machine;
console.log(`machine: ${m.cores} cores, ${m.cpu}, load ${m.load_average_1m}, ${m.chromium}, node ${m.node}, ${m.date}`);
console.log(`transfer for the first recommendation: ${kb(result.transfer_first_recommendation_bytes)} (budget 500 KB)`);
for (const [url, bytes] of result.transfer_files) console.log(`  ${url.padEnd(28)} ${kb(bytes)}`);
console.log(`cold start (median of ${RUNS}): ${result.cold_start_ms.median.toFixed(0)} ms (budget 500 ms); runs ${result.cold_start_ms.runs.join(', ')}`);
console.log('  steps (median, ms from navigation start): ' +
  Object.entries(result.cold_start_steps_ms).map(([k, v]) => `${k} ${Math.round(v)}`).join(', '));
console.log(`warm recommend in the worker: p50 ${result.worker_recommend_ms.p50.toFixed(3)} ms, p90 ${result.worker_recommend_ms.p90.toFixed(3)} ms (budget p50 2 ms)`);
console.log(`Node WASM: init ${result.node_wasm.init_ms.toFixed(0)} ms, p50 ${result.node_wasm.p50_ms.toFixed(3)} ms`);
if (result.native) console.log(`native: init ${result.native.init_ms} ms, p50 ${result.native.p50_ms.toFixed(3)} ms; WASM (worker) / native p50 = ${result.wasm_native_ratio_p50.toFixed(2)}`);
console.log('files (raw / gzip -9):');
for (const [f, s] of Object.entries(sizes)) console.log(`  ${f.padEnd(24)} ${kb(s.raw).padStart(10)} ${kb(s.gzip).padStart(10)}`);
