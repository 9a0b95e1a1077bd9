// One request, three spellings (web/request.js): the engine's JSON, the page
// URL and the widget's attributes must agree and round-trip.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { root } from './helpers.mjs';

const { requestFromQuery, queryFromRequest, requestFromAttributes, ATTRIBUTES } = await import(pathToFileURL(path.join(root, 'web', 'request.js')).href);

test('query -> request converts numbers and booleans, keeps the rest as typed', () => {
  const r = requestFromQuery('?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&num_gpus=2&dataset_size=20000&allow_qlora=false&adapter=qlora&task=chat');
  assert.deepEqual(r, {
    platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', num_gpus: 2, dataset_size: 20000,
    allow_qlora: false, adapter_type: 'qlora', task_type: 'chat',
  });
  // Not a number: passed through, so the engine names the field.
  assert.equal(requestFromQuery('num_gpus=two').num_gpus, 'two');
  assert.deepEqual(requestFromQuery(''), {});
  assert.deepEqual(requestFromQuery('#gpu=T4&model=x'), { gpu_override: 'T4', model: 'x' });
});

test('custom architecture travels as arch.* parameters', () => {
  const request = { gpu_override: 'H100 80GB', model: 'me/moe', model_params_b: 14.3, architecture: { hidden_size: 2048, num_layers: 24, is_moe: true, num_experts: 60 } };
  const query = queryFromRequest(request);
  assert.match(query, /arch\.hidden_size=2048/);
  assert.deepEqual(requestFromQuery(query), request);
});

test('request -> query -> request is the identity for every field', () => {
  const request = {
    platform: 'runpod', plan: 'rtx-4090', gpu_override: 'RTX 4090', num_gpus: 1, model: 'Qwen/Qwen2.5-7B', model_params_b: 7.6,
    task_type: 'code', adapter_type: 'lora', dataset_size: 1000, max_seq_length: 4096, strategy: 'hybrid', allow_qlora: false,
  };
  assert.deepEqual(requestFromQuery(queryFromRequest(request)), request);
});

test('widget attributes: dashed or underscored names', () => {
  const attrs = { platform: 'colab', plan: 'free', model: 'llama2-7b', 'num-gpus': '1', 'dataset_size': '500', 'max-seq-length': '512', 'arch-hidden-size': '4096', compact: '' };
  const el = { getAttribute: (k) => (k in attrs ? attrs[k] : null) };
  assert.deepEqual(requestFromAttributes(el), {
    platform: 'colab', plan: 'free', model: 'llama2-7b', num_gpus: 1, dataset_size: 500, max_seq_length: 512, architecture: { hidden_size: 4096 },
  });
  for (const a of ['platform', 'plan', 'gpu', 'model', 'task', 'adapter', 'num-gpus', 'dataset-size', 'max-seq-length', 'strategy']) {
    assert.ok(ATTRIBUTES.includes(a), a);
  }
});
