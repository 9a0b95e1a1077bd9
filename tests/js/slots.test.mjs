// Model slots on the static site (web/slots.js): the stable hash, the canary
// share over many client ids, overrides, and slot + version in the response.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { npmDir, root } from './helpers.mjs';

const slots = await import(pathToFileURL(path.join(root, 'web', 'slots.js')).href);

const MANIFEST = {
  format: 'ftconfig-models',
  format_version: 1,
  canary_fraction: 0.1,
  slots: { production: { version: 'v-prod' }, canary: { version: 'v-canary', file: 'models-canary.json' } },
};

describe('FNV-1a hash', () => {
  test('matches the reference 32-bit vectors', () => {
    assert.equal(slots.fnv1a32(''), 0x811c9dc5);
    assert.equal(slots.fnv1a32('a'), 0xe40c292c);
    assert.equal(slots.fnv1a32('foobar'), 0xbf9cf968);
  });
  test('the bucket function is pinned (changing it would move clients between slots)', () => {
    assert.equal(slots.mix32(slots.fnv1a32('a')), 444641715);
    assert.ok(Math.abs(slots.bucket('00000000-0000-4000-8000-000000000001') - 0.3410219377838075) < 1e-15);
  });
  test('buckets lie in [0, 1) and are stable for a client id', () => {
    const id = randomUUID();
    const b = slots.bucket(id);
    assert.ok(b >= 0 && b < 1);
    assert.equal(slots.bucket(id), b);
    assert.deepEqual(slots.chooseSlot(MANIFEST, id), slots.chooseSlot(MANIFEST, id));
  });
});

describe('canary share', () => {
  // Binomial: the count of canary clients among n has standard deviation
  // sqrt(n p (1 - p)); 4 of them bound a correct split's count with
  // probability > 0.9999.
  for (const fraction of [0.05, 0.1, 0.25, 0.5]) {
    for (const kind of ['random UUIDs', 'sequential ids']) {
      test(`${fraction} of 10,000 ${kind} (within 4 sigma)`, () => {
        const n = 10000;
        const manifest = { ...MANIFEST, canary_fraction: fraction };
        let canary = 0;
        for (let i = 0; i < n; i++) {
          const id = kind === 'random UUIDs' ? randomUUID() : `client-${i}`;
          if (slots.chooseSlot(manifest, id).slot === 'canary') canary++;
        }
        const sigma = Math.sqrt(n * fraction * (1 - fraction));
        assert.ok(Math.abs(canary - n * fraction) <= 4 * sigma,
          `${canary} canary clients of ${n}, expected ${n * fraction} ± ${Math.round(4 * sigma)}`);
      });
    }
  }
  test('no canary, or a zero fraction, serves production to everyone', () => {
    const noCanary = { ...MANIFEST, slots: { production: { version: 'v-prod' } } };
    const zero = { ...MANIFEST, canary_fraction: 0 };
    for (let i = 0; i < 1000; i++) {
      assert.equal(slots.chooseSlot(noCanary, `c${i}`).slot, 'production');
      assert.equal(slots.chooseSlot(zero, `c${i}`).slot, 'production');
    }
    assert.deepEqual(slots.chooseSlot(null, 'x'), { slot: 'production', version: null, reason: 'no_canary' });
  });
});

describe('overrides and the client id', () => {
  test('?slot= overrides the hash; a canary override without a canary serves production', () => {
    assert.equal(slots.slotOverride('https://example.org/?slot=canary'), 'canary');
    assert.equal(slots.slotOverride('https://example.org/?gpu=t4&slot=production'), 'production');
    assert.equal(slots.slotOverride('https://example.org/?slot=staging'), null);
    assert.equal(slots.slotOverride('not a url'), null);
    const zero = { ...MANIFEST, canary_fraction: 0 };
    assert.deepEqual(slots.chooseSlot(zero, 'x', 'canary'), { slot: 'canary', version: 'v-canary', reason: 'override' });
    assert.equal(slots.chooseSlot({ ...MANIFEST, canary_fraction: 1 }, 'x', 'production').slot, 'production');
    const none = { ...MANIFEST, slots: { production: { version: 'v-prod' } } };
    assert.deepEqual(slots.chooseSlot(none, 'x', 'canary'), { slot: 'production', version: 'v-prod', reason: 'override_without_canary' });
  });
  test('the client id is kept in storage and reused', () => {
    const store = new Map();
    const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
    const id = slots.clientId(storage);
    assert.match(id, /^[0-9a-f-]{32,36}$/);
    assert.equal(store.get(slots.CLIENT_ID_KEY), id);
    assert.equal(slots.clientId(storage), id);
    const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => {} };
    assert.ok(slots.clientId(broken).length >= 32); // storage disabled: still an id
  });
});

describe('slot and version in the response', () => {
  test('tagResponse puts model_slot and model_version first, keeping the rest', () => {
    const text = '{"fits":true,"hyperparameters":{"learning_rate":0.0002}}';
    const tagged = slots.tagResponse(text, { slot: 'canary', version: 'v-canary' });
    assert.equal(tagged, '{"model_slot":"canary","model_version":"v-canary","fits":true,"hyperparameters":{"learning_rate":0.0002}}');
    assert.deepEqual(JSON.parse(slots.tagResponse('{}', { slot: 'production', version: null })), { model_slot: 'production', model_version: null });
    assert.equal(slots.tagResponse(text, null), text);
  });

  test('resolveServing loads the canary artifacts for a canary client and production otherwise', async () => {
    const files = {
      'ftconfig-models.json': MANIFEST,
      'ftconfig-data.json': { catalog: {}, corpus: [], models: { reranker: 'PROD' } },
      'models-canary.json': { reranker: 'CANARY', hp_predictor: 'CANARY-HP' },
    };
    const saved = globalThis.fetch;
    globalThis.fetch = async (url) => {
      const name = new URL(url).pathname.split('/').pop();
      if (!(name in files)) return { ok: false, status: 404, json: async () => ({}) };
      return { ok: true, status: 200, json: async () => files[name] };
    };
    try {
      const base = 'https://site.example/';
      const canary = await slots.resolveServing({ clientId: 'x', override: 'canary' }, base);
      assert.deepEqual(canary.serving, { slot: 'canary', version: 'v-canary', reason: 'override' });
      assert.deepEqual(canary.options.data.models, { reranker: 'CANARY', hp_predictor: 'CANARY-HP' });
      const prod = await slots.resolveServing({ clientId: 'x', override: 'production' }, base);
      assert.deepEqual(prod.serving, { slot: 'production', version: 'v-prod', reason: 'override' });
      assert.deepEqual(prod.options, {});
      delete files['models-canary.json']; // a canary that cannot load falls back to production
      const fallback = await slots.resolveServing({ clientId: 'x', override: 'canary' }, base);
      assert.equal(fallback.serving.slot, 'production');
      assert.equal(fallback.serving.reason, 'canary_unavailable');
      delete files['ftconfig-models.json']; // no manifest: production, version unknown
      const bare = await slots.resolveServing({ clientId: 'x' }, base);
      assert.deepEqual(bare.serving, { slot: 'production', version: null, reason: 'no_canary' });
    } finally {
      globalThis.fetch = saved;
    }
  });

  const built = fs.existsSync(path.join(npmDir, 'api.js')) && fs.existsSync(path.join(npmDir, 'ftconfig-data.json'));
  test('the WASM engine answers with the slot and version of the artifacts it loaded', { skip: built ? false : 'build/npm is missing (scripts/build.sh --wasm)' }, async () => {
    const api = await import(pathToFileURL(path.join(npmDir, 'api.js')).href);
    const data = JSON.parse(fs.readFileSync(path.join(npmDir, 'ftconfig-data.json'), 'utf8'));
    // The canary here is the production artifacts with a calibration that
    // halves the time model's throughput: the slot changes the answer.
    const calibration = JSON.stringify({ artifact: 'ftconfig.calibration', format_version: 1, version: 'cal-test', throughput: { scale: 0.5 } });
    const request = { platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora' };
    const prod = await api.createEngine({ data });
    const canary = await api.createEngine({ data: { ...data, models: { ...(data.models || {}), calibration } } });
    const a = JSON.parse(slots.tagResponse(prod.recommendJson(request), { slot: 'production', version: 'v-prod' }));
    const b = JSON.parse(slots.tagResponse(canary.recommendJson(request), { slot: 'canary', version: 'v-canary' }));
    assert.equal(a.model_slot, 'production');
    assert.equal(a.model_version, 'v-prod');
    assert.equal(b.model_slot, 'canary');
    assert.equal(b.model_version, 'v-canary');
    assert.ok(Math.abs(b.time.tokens_per_sec / a.time.tokens_per_sec - 0.5) < 0.01, `${a.time.tokens_per_sec} vs ${b.time.tokens_per_sec}`);
    prod.dispose();
    canary.dispose();
  });
});
