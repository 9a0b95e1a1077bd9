// What users get: `npm pack`, install the tarball into an empty folder, then
// import 'ftconfig' from Node and type-check a consumer with tsc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { root } from './helpers.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftconfig-pack-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const quiet = { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } };

test('npm pack -> install into an empty folder -> import and recommend', { timeout: 180000 }, () => {
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', tmp], { ...quiet, cwd: root }));
  const files = packed[0].files.map((f) => f.path);
  for (const f of ['package.json', 'build/npm/api.js', 'build/npm/ftconfig.d.ts', 'build/npm/ftconfig-wasm.js', 'build/npm/ftconfig-wasm.wasm', 'build/npm/ftconfig-data.json', 'build/npm/ftconfig-plan.js', 'build/npm/ftconfig-plan.wasm']) {
    assert.ok(files.includes(f), `the package ships ${f}`);
  }
  assert.ok(!files.some((f) => f.startsWith('engine/') || f.startsWith('tests/') || f.startsWith('web/')), 'sources stay out of the package');
  const tarball = path.join(tmp, packed[0].filename);

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync(npm, ['install', '--offline', '--ignore-scripts', tarball], { ...quiet, cwd: app });

  fs.writeFileSync(path.join(app, 'index.js'), `
import { createEngine, FtconfigError } from 'ftconfig';
const engine = await createEngine();
const r = engine.recommend({ platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora' });
let code = null;
try { engine.recommend({ gpu: 'nope', model: 'x' }); } catch (e) { code = e instanceof FtconfigError ? e.code : String(e); }
console.log(JSON.stringify({ fits: r.fits, gpu: r.gpu.id, per_gpu_gb: r.vram.per_gpu_gb, code }));
`);
  const out = JSON.parse(execFileSync(process.execPath, ['index.js'], { ...quiet, cwd: app }).trim());
  assert.equal(out.gpu, 't4');
  assert.equal(typeof out.fits, 'boolean');
  assert.ok(out.per_gpu_gb > 0);
  assert.equal(out.code, 'unknown_gpu');

  // The declarations resolve through package.json "exports" for a consumer.
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (fs.existsSync(tsc)) {
    fs.writeFileSync(path.join(app, 'check.ts'), `
import { createEngine, FtconfigError, type Response } from 'ftconfig';
const engine = await createEngine({ dataUrl: 'ftconfig-data.json' });
const r: Response = engine.recommend({ gpu: 'T4', model: 'llama2-7b', adapter_type: 'qlora' });
const gb: number = r.vram.breakdown.weights;
const e = new FtconfigError('unknown_gpu', 'gpu', 'x');
const code: string = e.code;
console.log(gb, code);
`);
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', 'check.ts'], { ...quiet, cwd: app });
  }
});
