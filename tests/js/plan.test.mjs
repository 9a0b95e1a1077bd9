// plan() through the ES-module wrapper (wasm/api.js): the issue 20 example,
// the front, each option's request patch, and bad constraints named. plan()
// runs in the on-demand module (with the exports), so it is asynchronous.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { planRequest } from '../../web/plan.js';
import { loadApi, loadEngine } from './helpers.mjs';

const LLAMA_QLORA_20 = { model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora', dataset_size: 50000, constraints: { budget_usd: 20 } };

let api;
let engine;
before(async () => {
  api = await loadApi();
  engine = await loadEngine();
});

describe('plan', () => {
  test('Llama-3.1-8B QLoRA on 50k examples under $20 lists free and paid options and marks the front', async () => {
    const p = await engine.plan(LLAMA_QLORA_20);
    const qualifying = p.options.filter((o) => o.excluded_because.length === 0);
    assert.ok(qualifying.some((o) => o.cost_usd === 0), 'a free option');
    assert.ok(qualifying.some((o) => o.cost_usd > 0), 'a paid option');
    assert.ok(qualifying.every((o) => o.cost_usd <= 20));
    const front = p.options.filter((o) => o.on_front);
    assert.ok(front.length >= 2);
    assert.equal(p.summary.on_front, front.length);
    assert.ok(front.some((o) => o.id === p.best.id), 'the best option is on the front');
    assert.match(p.best.reason, /front/);
  });

  test('a disposed engine refuses to plan', async () => {
    const e = await api.createEngine();  // not the shared one
    e.dispose();
    await assert.rejects(e.plan(LLAMA_QLORA_20), (err) => err instanceof api.FtconfigError && err.code === 'unsupported');
  });

  test('an option\'s request patch opens its full recommendation with the same numbers', async () => {
    const p = await engine.plan(LLAMA_QLORA_20);
    const best = p.options.find((o) => o.id === p.best.id);
    const { constraints, ...request } = LLAMA_QLORA_20;
    const r = engine.recommend({ ...request, ...best.request_patch });
    assert.equal(r.fits, true);
    assert.equal(r.gpu.id, best.gpu.id);
    assert.equal(r.gpu.count, best.gpu.count);
    assert.equal(r.time.hours, best.hours);
    assert.equal(r.hyperparameters.max_seq_length, best.configuration.max_seq_length);
    assert.ok(constraints);
  });

  test('bad constraints are FtconfigErrors naming the field', async () => {
    const cases = [
      [{ ...LLAMA_QLORA_20, constraints: { budget_usd: -1 } }, 'invalid_value', 'constraints.budget_usd'],
      [{ ...LLAMA_QLORA_20, constraints: { platforms: ['colab', 'mars'] } }, 'unknown_platform', 'constraints.platforms[1]'],
      [{ ...LLAMA_QLORA_20, platform: 'colab' }, 'invalid_value', 'platform'],
      ['{', 'invalid_json', ''],
    ];
    for (const [request, code, field] of cases) {
      await assert.rejects(engine.plan(request), (e) => e instanceof api.FtconfigError && e.code === code && e.field === field);
    }
  });
});

describe('the site\'s plan request (web/plan.js)', () => {
  test('leaves out what the plan chooses and the empty constraints, and the engine takes it', async () => {
    const form = { platform: 'colab', plan: 'free', gpu_override: 't4', num_gpus: 2, model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora', dataset_size: 50000 };
    const r = planRequest(form, { budget: '20', deadline: '', objective: 'cost' });
    assert.deepEqual(r, { model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora', dataset_size: 50000, constraints: { budget_usd: 20, objective: 'cost' } });
    assert.equal((await engine.plan(r)).constraints.objective, 'cost');
  });
});
