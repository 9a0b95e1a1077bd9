// The ES-module wrapper (wasm/api.js) under Node: values out, FtconfigError
// with .code and .field for bad input, and a module that survives any input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { loadApi, loadEngine, npmDir } from './helpers.mjs';

const FREE_T4 = { platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', adapter_type: 'qlora' };

let api;
let engine;
before(async () => {
  api = await loadApi();
  engine = await loadEngine();
});

function throwsFtconfig(fn, code, field) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, 'expected an FtconfigError');
  assert.ok(caught instanceof api.FtconfigError, `expected FtconfigError, got ${caught && caught.constructor.name}: ${caught && caught.message}`);
  assert.equal(caught.name, 'FtconfigError');
  if (code) assert.equal(caught.code, code, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.length > 10, 'the message says what was wrong');
  return caught;
}

async function rejectsFtconfig(promise, code, field) {
  let caught;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof api.FtconfigError, `expected FtconfigError, got ${caught}`);
  if (code) assert.equal(caught.code, code, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  return caught;
}

describe('createEngine', () => {
  test('loads the bundled module and data with no options', () => {
    const s = engine.status();
    assert.equal(s.loaded, true);
    assert.match(s.engine_version, /^\d+\.\d+\.\d+/);
    assert.equal(engine.version, s.engine_version);
    assert.ok(s.catalog.gpus > 10 && s.catalog.models > 10 && s.catalog.platforms > 3);
    assert.ok(s.corpus.rows_accepted > 100);
    assert.ok(s.snapshot && Array.isArray(s.snapshot.files) && s.snapshot.files.length >= 7);
    assert.ok(['loaded', 'missing'].includes(s.models.reranker.status));
  });

  test('accepts explicit paths, bytes and the data object', async () => {
    const wasmBinary = fs.readFileSync(path.join(npmDir, 'ftconfig-wasm.wasm'));
    const data = JSON.parse(fs.readFileSync(path.join(npmDir, 'ftconfig-data.json'), 'utf8'));
    const e1 = await api.createEngine({ wasmBinary, data });
    const e2 = await api.createEngine({ wasmUrl: path.join(npmDir, 'ftconfig-wasm.wasm'), dataUrl: new URL(`file://${path.join(npmDir, 'ftconfig-data.json')}`) });
    assert.equal(e1.recommendJson(FREE_T4), engine.recommendJson(FREE_T4));
    assert.equal(e2.recommendJson(FREE_T4), engine.recommendJson(FREE_T4));
    e1.dispose();
    e2.dispose();
  });

  test('a missing data file is a data_error naming dataUrl', async () => {
    const e = await rejectsFtconfig(api.createEngine({ dataUrl: '/nonexistent/ftconfig-data.json' }), 'data_error', 'dataUrl');
    assert.match(e.message, /nonexistent/);
  });

  test('a missing module is a data_error naming wasmUrl', async () => {
    await rejectsFtconfig(api.createEngine({ wasmUrl: '/nonexistent/x.wasm' }), 'data_error', 'wasmUrl');
  });

  test('bad data is a data_error, not a crash', async () => {
    const data = JSON.parse(fs.readFileSync(path.join(npmDir, 'ftconfig-data.json'), 'utf8'));
    await rejectsFtconfig(api.createEngine({ data: { ...data, catalog: { ...data.catalog, gpus: '{not json' } } }), 'invalid_json');
    await rejectsFtconfig(api.createEngine({ data: { ...data, catalog: { ...data.catalog, gpus: 42 } } }), 'data_error');
    await rejectsFtconfig(api.createEngine({ data: { catalog: data.catalog } }), 'data_error');
    const { corpus_snapshot: snapshot, ...raw } = data;
    assert.equal(typeof snapshot, 'string', 'the bundle carries the normalized corpus snapshot');
    await rejectsFtconfig(api.createEngine({ data: { ...raw, corpus: [{ name: 'x.jsonl', text: '' }] } }), 'data_error');
    await rejectsFtconfig(api.createEngine({ data: { ...data, corpus_snapshot: '{not json' } }), 'data_error', 'corpus_snapshot');
    const bad = JSON.parse(snapshot);
    bad.rows[2][bad.fields.indexOf('learning_rate')] = 'fast';
    await rejectsFtconfig(api.createEngine({ data: { ...data, corpus_snapshot: JSON.stringify(bad) } }), 'data_error',
      'corpus_snapshot.rows[2].learning_rate');
    await rejectsFtconfig(api.createEngine(null), 'invalid_type');
  });
});

describe('recommend', () => {
  test('answers an object or its JSON text identically', () => {
    const a = engine.recommend(FREE_T4);
    const b = engine.recommend(JSON.stringify(FREE_T4));
    assert.deepEqual(a, b);
    assert.equal(typeof a.fits, 'boolean');
    assert.equal(a.request.model, 'meta-llama/Llama-3.1-8B');
    assert.equal(a.gpu.id, 't4');
    for (const k of ['weights', 'adapters', 'gradients', 'optimizer', 'activations', 'logits', 'overhead']) {
      assert.equal(typeof a.vram.breakdown[k], 'number', k);
    }
    assert.ok(a.vram.per_gpu_gb <= a.vram.usable_gb, 'a fitting answer fits');
    assert.equal(typeof a.why.learning_rate, 'string');
    assert.ok(['high', 'medium', 'low'].includes(a.confidence.level));
  });

  test('recommendJson is the engine text in canonical (sorted) key order', () => {
    const text = engine.recommendJson(FREE_T4);
    const keys = Object.keys(JSON.parse(text));
    assert.deepEqual(keys, [...keys].sort());
  });

  test('is deterministic', () => {
    assert.equal(engine.recommendJson(FREE_T4), engine.recommendJson(FREE_T4));
  });

  test('answers read out of module memory stay whole across later calls and memory growth', () => {
    const first = engine.recommendJson(FREE_T4);
    const other = engine.recommendJson({ gpu: 'RTX 4090', model: 'Qwen/Qwen2.5-1.5B', adapter_type: 'lora' });
    // A large request grows the module's memory between two reads of the same answer.
    throwsFtconfig(() => engine.recommendJson(`{"model":"${'x'.repeat(4 << 20)}"}`), 'invalid_value');
    assert.notEqual(first, other);
    assert.equal(engine.recommendJson(FREE_T4), first);
    JSON.parse(other);
    // Non-ASCII text survives the UTF-8 decoding: the error message quotes the model as typed.
    const e = throwsFtconfig(() => engine.recommendJson({ gpu: 'T4', model: 'Llamä-Ünknown' }), 'unknown_model');
    assert.match(e.message, /Llamä-Ünknown/);
    // A name that states its size is sized from it, and the warning quotes it as typed.
    const sized = engine.recommend({ gpu: 'T4', model: 'Llamä-Ünknown-7B' });
    assert.equal(sized.request.model_source, 'name');
    assert.ok(sized.warnings.some((w) => w.includes('"Llamä-Ünknown-7B" is not in the catalog')));
  });

  test('a model that cannot fit answers fits=false with the smallest GPU that would', () => {
    const r = engine.recommend({ platform: 'colab', plan: 'free', model: 'meta-llama/Llama-2-70b-hf', adapter_type: 'qlora' });
    assert.equal(r.fits, false);
    assert.match(r.does_not_fit.message, /does not fit/);
  });

  const badRequests = [
    ['invalid JSON', '{"platform":', 'invalid_json', ''],
    ['not an object', '[1,2]', 'invalid_type', ''],
    ['null', 'null', 'invalid_type', ''],
    ['unknown field', { ...FREE_T4, learning_rate: 1 }, 'unknown_field', 'learning_rate'],
    ['wrong type', { ...FREE_T4, num_gpus: 'two' }, 'invalid_type', 'num_gpus'],
    ['out of range', { ...FREE_T4, num_gpus: 0 }, 'invalid_value', 'num_gpus'],
    ['unknown GPU', { gpu: 'RTX 9999', model: 'llama2-7b' }, 'unknown_gpu', 'gpu_override'],
    ['unknown platform', { platform: 'nowhere', plan: 'free', model: 'llama2-7b' }, 'unknown_platform', 'platform'],
    ['unknown plan', { platform: 'colab', plan: 'ultra', model: 'llama2-7b' }, 'unknown_plan', 'plan'],
    ['unknown model', { platform: 'colab', plan: 'free', model: 'not-a-model-at-all' }, 'unknown_model', 'model'],
    ['bad adapter', { ...FREE_T4, adapter_type: 'dora-ish' }, 'invalid_value', 'adapter_type'],
    ['bad architecture', { gpu: 'T4', model: 'x', model_params_b: 1, architecture: { hidden_size: 'big', num_layers: 2 } }, 'invalid_value', 'architecture.hidden_size'],
  ];
  for (const [name, request, code, field] of badRequests) {
    test(`bad input, ${name}: FtconfigError ${code}`, () => {
      throwsFtconfig(() => engine.recommend(request), code, field);
    });
  }

  test('the unknown-GPU message names the closest GPUs', () => {
    const e = throwsFtconfig(() => engine.recommend({ gpu: 'Tesla T5', model: 'llama2-7b' }), 'unknown_gpu');
    assert.match(e.message, /t4/i);
  });

  test('values that cannot become JSON are invalid_json', () => {
    const circular = { ...FREE_T4 };
    circular.self = circular;
    throwsFtconfig(() => engine.recommend(circular), 'invalid_json', 'request');
    throwsFtconfig(() => engine.recommend(undefined), 'invalid_json', 'request');
    throwsFtconfig(() => engine.recommend({ toJSON() { throw new Error('nope'); } }), 'invalid_json');
  });
});

describe('no input can abort or corrupt the module', () => {
  const hostile = [
    ['deeply nested arrays', '['.repeat(200000) + ']'.repeat(200000)],
    ['deeply nested objects', '{"a":'.repeat(50000) + '1' + '}'.repeat(50000)],
    ['a 5 MB string', JSON.stringify({ ...FREE_T4, notes: 'x'.repeat(5 << 20) })],
    ['a huge model name', { ...FREE_T4, model: 'm'.repeat(1 << 20) }],
    ['control characters and invalid UTF-16', `{"model":"\u0000\ud800\u0007","gpu":"\ud83d"}`],
    ['NaN-like numbers', '{"gpu":"T4","model":"llama2-7b","num_gpus":1e999}'],
    ['negative zero and huge numbers', { gpu: 'T4', model: 'llama2-7b', dataset_size: -0, max_seq_length: 1e308 }],
    ['binary junk', String.fromCharCode(...Array.from({ length: 4096 }, (_, i) => (i * 7919) % 65536))],
    ['empty string', ''],
  ];
  for (const [name, input] of hostile) {
    test(`${name}: an error value, then the engine still answers`, () => {
      let result;
      try {
        result = engine.recommend(input);
      } catch (e) {
        assert.ok(e instanceof api.FtconfigError, `${e}`);
        assert.notEqual(e.code, 'internal', e.message);
      }
      if (result) assert.equal(typeof result.fits, 'boolean');
      assert.equal(engine.recommend(FREE_T4).gpu.id, 't4');
    });
  }

  test('hostile estimate inputs too', () => {
    for (const input of ['[[[[', '{"id":' + '['.repeat(100000) + ']'.repeat(100000) + ',"model_name":"llama2-7b"}', '{"seq_len":-1,"model_name":"llama2-7b"}', '"text"', '{}']) {
      try {
        engine.estimate(input);
      } catch (e) {
        assert.ok(e instanceof api.FtconfigError, `${e}`);
        assert.notEqual(e.code, 'internal', e.message);
      }
    }
    assert.equal(typeof engine.estimate({ model_name: 'llama2-7b' }).peak_vram_gb, 'number');
  });

  test('arguments that cannot become strings are invalid_type', () => {
    throwsFtconfig(() => engine.models({ toString() { throw new Error('boom'); } }), 'invalid_type', 'query');
    assert.ok(engine.models('llama').length > 0);
  });
});

describe('estimate', () => {
  test('takes the keys of `ftconfig estimate`', () => {
    const r = engine.estimate({ model_name: 'meta-llama/Llama-3.1-8B', method: 'qlora', gpu: 'T4', seq_len: 1024, batch_size_per_device: 2, gradient_checkpointing: true });
    assert.equal(r.model.source, 'catalog');
    assert.ok(r.peak_vram_gb > 3 && r.peak_vram_gb < 16, `${r.peak_vram_gb}`);
    assert.equal(typeof r.fits, 'boolean');
    assert.ok(r.tokens_per_sec > 0);
    assert.ok(Array.isArray(r.assumptions));
    assert.ok(r.activation_bytes_per_token.layer > 0 && r.activation_bytes_per_token.checkpoint_per_layer > 0);
  });

  test('without a GPU there is no fit verdict', () => {
    const r = engine.estimate({ params_b: 1.5 });
    assert.equal(r.fits, null);
    assert.equal(r.model.source, 'params_b');
  });

  test('errors name the field', () => {
    throwsFtconfig(() => engine.estimate({ model_name: 'llama2-7b', method: 'magic' }), 'invalid_value', 'method');
    throwsFtconfig(() => engine.estimate({ model_name: 'nobody/nothing' }), 'unknown_model', 'model_name');
    throwsFtconfig(() => engine.estimate('{'), 'invalid_json', 'input');
  });

  test('an unknown GPU still gets a peak estimate, without a fit verdict (issue 16)', () => {
    const r = engine.estimate({ model_name: 'llama2-7b', gpu: 'TPU' });
    assert.equal(r.fits, null);
    assert.ok(r.peak_vram_gb > 0);
    assert.ok(r.assumptions.some((a) => a.includes('unknown GPU')));
  });
});

describe('catalog queries', () => {
  test('gpus, platforms with plans, tasks', () => {
    const gpus = engine.gpus();
    const t4 = gpus.find((g) => g.id === 't4');
    assert.ok(t4 && t4.vram_gb === 16 && t4.usable_vram_gb > 14 && t4.bf16 === false);
    const colab = engine.platforms().find((p) => p.id === 'colab');
    assert.ok(colab.plans.some((p) => p.id === 'free' && p.gpu === 't4'));
    assert.ok(engine.tasks().some((t) => t.id === 'instruction_following'));
  });

  test('model search: aliases, ranking, closest names, limit', () => {
    const exact = engine.models('llama2-7b');
    assert.equal(exact[0].id, 'meta-llama/Llama-2-7b-hf');
    assert.equal(exact[0].match, 'exact');
    const qwen = engine.models('qwen2.5', 3);
    assert.equal(qwen.length, 3);
    assert.ok(qwen.every((m) => m.id.startsWith('Qwen/Qwen2.5')));
    const typo = engine.models('lama-3.1-8b');
    assert.ok(typo.length > 0);
    assert.ok(typo.some((m) => m.id === 'meta-llama/Llama-3.1-8B'));
    assert.equal(engine.models('').length, engine.status().catalog.models);
    const moe = engine.models('mixtral')[0];
    assert.equal(moe.is_moe, true);
    // A variant name (a quantized copy) lists the model it names first.
    const variant = engine.models('unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit');
    assert.equal(variant[0].id, 'meta-llama/Llama-3.1-8B');
    assert.equal(variant[0].match, 'variant');
    assert.equal(new Set(variant.map((m) => m.id)).size, variant.length);
  });
});

describe('exportConfig (the export module, loaded on first use)', () => {
  let formats = [];
  before(async () => {
    formats = await engine.exportFormats();
  });

  test('renders every format for a fitting recommendation', async (t) => {
    if (!formats.length) return t.skip('this build has no export module');
    for (const { format, filename } of formats) {
      const file = await engine.exportConfig(FREE_T4, format);
      assert.equal(file.filename, filename);
      assert.ok(file.text.length > 100, format);
    }
    const nb = await engine.exportConfig(FREE_T4, 'notebook');
    assert.equal(JSON.parse(nb.text).nbformat, 4);
  });

  test('errors: unknown format, bad request, nothing to run', async (t) => {
    if (!formats.length) return t.skip('this build has no export module');
    await rejectsFtconfig(engine.exportConfig(FREE_T4, 'docx'), 'invalid_value', 'format');
    await rejectsFtconfig(engine.exportConfig({ gpu: 'nope', model: 'x' }, 'axolotl'), 'unknown_gpu');
    await rejectsFtconfig(engine.exportConfig({ platform: 'colab', plan: 'free', model: 'meta-llama/Llama-2-70b-hf' }, 'axolotl'), 'invalid_value');
    assert.ok((await engine.exportConfig(FREE_T4, 'trl')).text.length > 0, 'still works');
  });

  test('tags: the notebook\'s telemetry names the logged recommendation and the served model version', async (t) => {
    if (!formats.length) return t.skip('this build has no export module');
    const id = '0b7e3f4c-1d2a-4c5b-8e9f-123456789abc';
    const nb = await engine.exportConfig(FREE_T4, 'notebook', { recommendation_event_id: id, model_slot: 'canary', model_version: 'v3-x' });
    const code = JSON.parse(nb.text).cells.map((c) => [].concat(c.source).join('')).join('\n');
    assert.match(code, new RegExp(`"recommendation_event_id": "${id}"`));
    assert.match(code, /"model_slot": "canary"/);
    assert.match(code, /"model_version": "v3-x"/);
    const untagged = await engine.exportConfig(FREE_T4, 'script');
    assert.match(untagged.text, /"recommendation_event_id": None/);
    await rejectsFtconfig(engine.exportConfig(FREE_T4, 'script', { slot: 'x' }), 'unknown_field', 'tags.slot');
    await rejectsFtconfig(engine.exportConfig(FREE_T4, 'script', { model_slot: 7 }), 'invalid_type', 'tags.model_slot');
    await rejectsFtconfig(engine.exportConfig(FREE_T4, 'script', { recommendation_event_id: 'not-a-uuid' }), 'invalid_value',
      'response.recommendation_event_id');
    await rejectsFtconfig(engine.exportConfig(FREE_T4, 'script', { model_version: 'v1"; import os' }), 'invalid_value',
      'response.model_version');
  });
});

test('evidence: the learning brain decides in WASM; bad evidence names its field', () => {
  const good = engine.recommend({ ...FREE_T4, evidence: { strategies: { deterministic: { feedback: 6, ratings: 6, mean_rating: 5, success: 6 } } } });
  assert.equal(good.strategy_decision.applied, true);
  assert.equal(good.strategy_decision.chosen, 'deterministic');
  assert.equal(good.strategy.used, 'deterministic');
  assert.equal(good.strategy_decision.evidence.deterministic.signals, 6);
  const plain = engine.recommend(FREE_T4);
  assert.equal(plain.strategy_decision.applied, false);
  assert.equal(plain.strategy_decision.evidence, null);
  for (const [evidence, code, field] of [
    [[], 'invalid_type', 'evidence'],
    [{ strategies: { hybrid: { feedback: 2, ratings: 2 } } }, 'missing_field', 'evidence.strategies.hybrid.mean_rating'],
    [{ strategies: { hybrid: { feedback: -1 } } }, 'invalid_value', 'evidence.strategies.hybrid.feedback'],
    [{ strategies: { hybrid: { oom: 'lots' } } }, 'invalid_type', 'evidence.strategies.hybrid.oom'],
    [{ strategies: { magic: {} } }, 'unknown_field', 'evidence.strategies.magic'],
    [{ strategies: { hybrid: { feedback: 1e300 } } }, 'invalid_value', 'evidence.strategies.hybrid.feedback'],
  ]) throwsFtconfig(() => engine.recommend({ ...FREE_T4, evidence }), code, field);
  const deep = `{"gpu":"T4","model":"llama2-7b","evidence":{"strategies":{"hybrid":${'['.repeat(100000)}${']'.repeat(100000)}}}}`;
  throwsFtconfig(() => engine.recommend(deep));
  // The module still answers.
  assert.equal(engine.recommend(FREE_T4).fits, true);
});

test('dispose: further calls throw, other engines are unaffected', async () => {
  const e = await api.createEngine();
  e.dispose();
  throwsFtconfig(() => e.recommend(FREE_T4), 'unsupported');
  assert.equal(engine.recommend(FREE_T4).gpu.id, 't4');
});
