#!/usr/bin/env node
// Cold start of two builds of the site, interleaved (A, B, A, B, ...), each
// served by its own scripts/serve.mjs process, every run in a fresh Chromium
// profile. On a shared machine whose speed drifts during the day, this is the
// comparison to trust (docs/performance.md); a single `npm run bench:web`
// median is not. Not a test.
//
//   node scripts/bench-web-ab.mjs SITE_DIR_A SITE_DIR_B [--runs 15]
//   (e.g. a copy of build/site from before a change, and build/site)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { firstReadyAt, launch, root } from '../tests/browser/browser.mjs';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
const dirs = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));
if (dirs.length !== 2 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: node scripts/bench-web-ab.mjs SITE_DIR_A SITE_DIR_B [--runs N]');
  process.exit(2);
}
for (const d of dirs) {
  if (!fs.existsSync(path.join(d, 'index.html'))) {
    console.error(`bench-web-ab: ${d}/index.html is missing`);
    process.exit(2);
  }
}

// A server in a process of its own, as a real static host is: in this
// process it would share the event loop with Playwright.
function serve(dir) {
  const serveJs = path.join(root, 'scripts', 'serve.mjs');
  const child = spawn(process.execPath, [serveJs, '--root', path.resolve(dir), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /ftconfig site: (\S+)/.exec(out);
      if (m) resolve({ url: m[1], stop: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs for ${dir} exited (${code})`)));
  });
}

async function coldStart(url) {
  const browser = await launch({ serviceWorkers: 'block' });
  try {
    const page = await browser.context.newPage();
    const readyAt = await firstReadyAt(page);
    await page.goto(url);
    return await readyAt();
  } finally {
    await browser.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const servers = await Promise.all(dirs.map(serve));
try {
  for (const s of servers) await coldStart(s.url); // the servers' compression caches
  const runs = dirs.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < dirs.length; j++) runs[j].push(await coldStart(servers[j].url));
  }
  console.log(`cold start, ${RUNS} interleaved runs each, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}:`);
  dirs.forEach((d, j) => console.log(`  ${['A', 'B'][j]} ${d}: median ${median(runs[j]).toFixed(0)} ms; runs ${runs[j].map(Math.round).join(' ')}`));
} finally {
  for (const s of servers) s.stop();
}
process.exit(0);
