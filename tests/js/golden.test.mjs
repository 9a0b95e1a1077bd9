// Same answers everywhere: the WASM module under Node must return the native
// CLI's JSON for every golden request (tests/golden/): byte for byte after
// removing the CLI's indentation, or — where a value comes from exp/log/pow,
// whose last bit differs between glibc and Emscripten's libc — with every
// number within 1e-9 relative and everything else identical (docs/web.md,
// "Same answers everywhere"). The native answers come from
// tests/golden/native-answers.mjs (run here when missing or stale).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { compactJson, loadEngine, npmDir, root } from './helpers.mjs';

const goldenDir = path.join(root, 'tests', 'golden');
const outDir = process.env.FTCONFIG_GOLDEN_DIR || path.join(root, 'build', 'golden');
const cli = process.env.FTCONFIG_CLI || path.join(root, 'build', 'bin', 'ftconfig');
const bundle = path.join(npmDir, 'ftconfig-data.json');

const readJsonl = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

function nativeAnswers() {
  const files = ['native-recommend.jsonl', 'native-estimate.jsonl'].map((f) => path.join(outDir, f));
  const inputs = ['requests.jsonl', 'estimate-requests.jsonl'].map((f) => path.join(goldenDir, f));
  const newest = Math.max(...[...inputs, cli, bundle].map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
  if (files.some((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs < newest)) {
    const r = spawnSync(process.execPath, [path.join(goldenDir, 'native-answers.mjs'), '--cli', cli, '--bundle', bundle, '--out', outDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `native-answers.mjs failed:\n${r.stderr}`);
  }
  return files.map(readJsonl);
}

// The first path where two JSON values differ, for a readable failure.
function firstDifference(a, b, at = '$') {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  if (a && typeof a === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

const REL_TOL = 1e-9;

// Like firstDifference, but numbers may differ by REL_TOL (relative).
function firstMismatch(a, b, at = '$') {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b)) ? null : `${at}: ${a} vs ${b}`;
  }
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  if (a && typeof a === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join() !== kb.join()) return `${at}: keys ${ka.join()} vs ${kb.join()}`;
    for (const k of ka) {
      const d = firstMismatch(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    if (e.name !== 'FtconfigError') throw e;
    return { error: { code: e.code, field: e.field, message: e.message } };
  }
  return null;
}

describe('golden parity: WASM (Node) = native CLI', () => {
  let engine;
  let nativeRecommend;
  let nativeEstimate;
  const requests = readJsonl(path.join(goldenDir, 'requests.jsonl'));
  const estimates = readJsonl(path.join(goldenDir, 'estimate-requests.jsonl'));

  const inexact = [];
  before(async () => {
    engine = await loadEngine();
    [nativeRecommend, nativeEstimate] = nativeAnswers();
  });
  after(() => {
    // Not a failure: where the answers matched within tolerance, not bit for bit.
    if (inexact.length) console.log(`# golden: ${inexact.length} answer(s) equal within ${REL_TOL} relative, not bit for bit: ${inexact.join('; ')}`);
  });

  test('the golden set is large and varied enough', () => {
    assert.ok(requests.length >= 30, `${requests.length} requests`);
    const ids = new Set(requests.map((r) => r.id));
    assert.equal(ids.size, requests.length, 'ids are unique');
    assert.ok(requests.filter((r) => r.id.startsWith('error-')).length >= 5, 'error cases');
    assert.ok(new Set(requests.map((r) => r.request.adapter_type ?? r.request.adapter ?? 'lora')).size >= 3, 'all adapters');
  });

  for (const { id, request } of requests) {
    test(`recommend ${id}`, () => {
      const native = nativeRecommend.find((n) => n.id === id);
      assert.ok(native, `no native answer for ${id}: rerun tests/golden/native-answers.mjs`);
      if (native.exit_code === 0) {
        let text;
        const err = errorOf(() => { text = engine.recommendJson(request); });
        assert.equal(err, null, `WASM failed where native answered: ${JSON.stringify(err)}`);
        const expected = compactJson(native.stdout);
        if (text !== expected) {
          const mismatch = firstMismatch(JSON.parse(text), JSON.parse(expected));
          assert.equal(mismatch, null, `WASM and native differ at ${mismatch}`);
          inexact.push(`${id} (${firstDifference(JSON.parse(text), JSON.parse(expected))})`);
        }
      } else {
        assert.equal(native.exit_code, 2, `native exit code ${native.exit_code}`);
        const err = errorOf(() => engine.recommendJson(request));
        assert.ok(err, 'WASM answered where native failed');
        assert.deepEqual(err, JSON.parse(native.stdout));
      }
    });
  }

  for (const input of estimates) {
    test(`estimate ${input.id}`, () => {
      const native = JSON.parse(nativeEstimate.find((n) => n.id === input.id).stdout);
      if (native.error) {
        const err = errorOf(() => engine.estimate(input));
        assert.ok(err, 'WASM answered where native failed');
        assert.deepEqual(err.error, native.error);
      } else {
        const wasm = engine.estimate(input);
        assert.equal(firstMismatch(wasm, native), null);
        if (firstDifference(wasm, native)) inexact.push(`estimate ${input.id}`);
      }
    });
  }
});
