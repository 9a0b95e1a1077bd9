// Canary on the static site (web/slots.js, docs/retraining.md): a site built
// from a registry with a canary serves it to clients whose stable hash falls
// under the fraction, and to ?slot=canary; the response and the page show the
// slot and version. Run: node --test tests/browser/ (after scripts/build.sh --wasm).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { startServer } from '../../scripts/serve.mjs';
import { launch, openPage, root, settled } from './browser.mjs';

const slots = await import(pathToFileURL(path.join(root, 'web', 'slots.js')).href);
const wasmDir = path.join(root, 'build-wasm', 'wasm');
const haveWasm = fs.existsSync(path.join(wasmDir, 'ftconfig-wasm.wasm'));

// A client id whose bucket is below (or above) the fraction.
function idWhere(pred) {
  for (let i = 0; ; i++) if (pred(slots.bucket(`test-client-${i}`))) return `test-client-${i}`;
}

describe('model slots on a site built with a canary', { skip: haveWasm ? false : 'build-wasm is missing' }, () => {
  let tmp;
  let site;
  let browser;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftconfig-slots-'));
    const models = path.join(tmp, 'models');
    fs.mkdirSync(models);
    const shipped = JSON.parse(fs.readFileSync(path.join(root, 'models', 'registry.json'), 'utf8'));
    const prod = shipped.versions.find((v) => v.version === shipped.aliases.production);
    const abs = (arts) => Object.fromEntries(Object.entries(arts).map(([k, a]) => [k, { ...a, path: path.join(root, 'models', a.path) }]));
    // The canary: production's artifacts plus a calibration halving the throughput estimate.
    const calibration = { artifact: 'ftconfig.calibration', format_version: 1, version: 'cal-canary', throughput: { scale: 0.5 } };
    fs.writeFileSync(path.join(models, 'calibration.json'), JSON.stringify(calibration));
    const registry = {
      format_version: 2,
      aliases: { production: 'prod-v', canary: 'canary-v' },
      canary_fraction: 0.5,
      versions: [
        { version: 'prod-v', stage: 'production', artifacts: abs(prod.artifacts), gates: prod.gates },
        { version: 'canary-v', stage: 'canary', artifacts: { ...abs(prod.artifacts), calibration: { path: 'calibration.json' } }, gates: prod.gates },
      ],
      history: [],
    };
    fs.writeFileSync(path.join(models, 'registry.json'), JSON.stringify(registry, null, 1));
    execFileSync('node', [path.join(root, 'scripts', 'build-site.mjs'), '--wasm-dir', wasmDir, '--out', path.join(tmp, 'out'), '--models-dir', models], { stdio: 'pipe' });
    site = await startServer({ root: path.join(tmp, 'out', 'site'), base: '/' });
    browser = await launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function open(query, clientId) {
    const p = await openPage(browser.context);
    if (clientId) await p.addInitScript((id) => localStorage.setItem('ftconfig-client-id', id), clientId);
    await p.goto(`${site.url}${query}`);
    const s = await settled(p);
    assert.equal(s.state, 'ready', s.error);
    const shown = await p.locator('[data-model-slot]').textContent();
    await p.close();
    assert.deepEqual(p.problems, []);
    return { result: s.result, shown };
  }

  test('the manifest names both slots and the fraction', () => {
    const m = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'site', 'ftconfig-models.json'), 'utf8'));
    assert.equal(m.canary_fraction, 0.5);
    assert.equal(m.slots.production.version, 'prod-v');
    assert.equal(m.slots.canary.version, 'canary-v');
    assert.ok(fs.existsSync(path.join(tmp, 'out', 'site', m.slots.canary.file)));
  });

  test('?slot= overrides; the response and the page show slot and version; the canary artifacts are used', async () => {
    const prod = await open('?slot=production');
    const canary = await open('?slot=canary');
    assert.equal(prod.result.model_slot, 'production');
    assert.equal(prod.result.model_version, 'prod-v');
    assert.equal(canary.result.model_slot, 'canary');
    assert.equal(canary.result.model_version, 'canary-v');
    assert.match(canary.shown, /canary slot, version canary-v/);
    assert.match(prod.shown, /production slot, version prod-v/);
    const ratio = canary.result.time.tokens_per_sec / prod.result.time.tokens_per_sec;
    assert.ok(Math.abs(ratio - 0.5) < 0.01, `canary throughput ratio ${ratio}`);
  });

  test('without an override the stored client id decides, stably', async () => {
    const inCanary = idWhere((b) => b < 0.5);
    const inProd = idWhere((b) => b >= 0.5);
    assert.equal((await open('', inCanary)).result.model_slot, 'canary');
    assert.equal((await open('', inProd)).result.model_slot, 'production');
    assert.equal((await open('', inCanary)).result.model_slot, 'canary');
  });
});
