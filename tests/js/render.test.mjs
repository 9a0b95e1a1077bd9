// web/render.js's pure parts: the verdict sentence, the configuration values
// (today's response and the fields the engine is gaining), what would fit,
// rounded predictions and family keys. The DOM parts run in tests/browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { configValues, familyKey, fitOptions, roundPrediction, verdictSentence } from '../../web/render.js';

const FITS = {
  fits: true,
  request: { model: 'meta-llama/Llama-3.1-8B', model_source: 'catalog', adapter_type: 'qlora' },
  gpu: { id: 't4', name: 'NVIDIA T4', count: 1, usable_gb: 15.3 },
  vram: { per_gpu_gb: 11.4, usable_gb: 15.3, margin_gb: 3.86, margin_fraction: 0.25 },
  time: { hours: 2.6, cost_usd: 0 },
  hyperparameters: {
    adapter_type: 'qlora', learning_rate: 0.0001, lr_scheduler: 'cosine', batch_size_per_device: 4, gradient_accumulation_steps: 2,
    effective_batch_size: 8, max_seq_length: 512, lora_r: 16, lora_alpha: 8, lora_dropout: 0.05, lora_target: 'q_proj,v_proj',
    precision: 'fp16', load_in_4bit: true, num_epochs: 2, optimizer: 'adamw_torch', gradient_checkpointing: true,
  },
};

test('the verdict and its margin in one sentence', () => {
  assert.equal(verdictSentence(FITS), 'Fits: Llama-3.1-8B with QLoRA on one NVIDIA T4 peaks at 11.4 GB of 15.3 GB usable, 3.86 GB to spare. Training takes about 2.6 h (free).');
  const tight = { ...FITS, vram: { ...FITS.vram, margin_fraction: 0.05 } };
  assert.match(verdictSentence(tight), /^Fits, with little to spare: /);
  const bad = { ...FITS, fits: false, hyperparameters: { adapter_type: 'none' }, vram: { per_gpu_gb: 745.1, usable_gb: 15.3 } };
  assert.equal(verdictSentence(bad), 'Does not fit: Llama-3.1-8B with full fine-tuning needs 745.1 GB per GPU at its peak, and one NVIDIA T4 has 15.3 GB usable.');
  const custom = { ...FITS, request: { model_params_b: 13, model_source: 'params' } };
  assert.match(verdictSentence(custom), /^Fits: a 13B model with QLoRA/);
});

test('the configuration values: today\'s response', () => {
  const v = Object.fromEntries(configValues(FITS).map((x) => [x.key, x.value]));
  assert.equal(v.learning_rate, '1e-4, cosine');
  assert.equal(v.batch, '4 × 2 accumulation = 8');
  assert.equal(v.max_seq_length, '512 tokens');
  assert.equal(v.lora, 'r 16, alpha 8, dropout 0.05');
  assert.equal(v.lora_targets, 'q_proj, v_proj');
  assert.equal(v.precision, 'fp16, base in 4-bit');
  assert.equal(v.num_epochs, '2');
  assert.equal(v.distribution, undefined);
});

test('the configuration values: target modules, target class and distribution when the engine gives them', () => {
  const hp = { ...FITS.hyperparameters, lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], distribution: 'zero3' };
  const v = Object.fromEntries(configValues({ ...FITS, gpu: { ...FITS.gpu, count: 4 }, hyperparameters: hp }).map((x) => [x.key, x.value]));
  assert.equal(v.lora_targets, 'q_proj, k_proj, v_proj, o_proj');
  assert.equal(v.distribution, 'DeepSpeed ZeRO-3');
  assert.equal(v.batch, '4 × 2 accumulation × 4 GPUs = 8');
  const cls = Object.fromEntries(configValues({ ...FITS, hyperparameters: { ...FITS.hyperparameters, lora_target_class: 'all-linear', lora_target: undefined } }).map((x) => [x.key, x.value]));
  assert.equal(cls.lora_targets, 'all-linear');
  const none = configValues({ ...FITS, hyperparameters: { ...hp, distribution: 'none' } });
  assert.ok(!none.some((x) => x.key === 'distribution'));
  const full = configValues({ ...FITS, hyperparameters: { ...FITS.hyperparameters, adapter_type: 'none' } });
  assert.ok(!full.some((x) => x.key.startsWith('lora')), 'no LoRA values for full fine-tuning');
});

test('what would fit: the engine\'s options when given, else the smallest GPU and QLoRA', () => {
  const planner = { fits: false, does_not_fit: { options: [{ kind: 'num_gpus', label: '2 x NVIDIA T4 (zero3): 9.1 GB per GPU', request_patch: { num_gpus: 2 } }, { label: 'no patch' }] } };
  assert.deepEqual(fitOptions(planner), [{ ...planner.does_not_fit.options[0], label: '2 × NVIDIA T4 (DeepSpeed ZeRO-3): 9.1 GB per GPU' }]);
  const old = {
    fits: false, request: { adapter_type: 'lora' }, hyperparameters: { adapter_type: 'lora' },
    does_not_fit: { smallest_fitting: { gpu: 'a100-80gb', name: 'A100 80GB', platform: 'vastai', plan: 'a100-80gb', price_per_gpu_hour_usd: 1.19 } },
  };
  const opts = fitOptions(old, { platformName: (id) => (id === 'vastai' ? 'Vast.ai' : id) });
  assert.deepEqual(opts.map((o) => o.kind), ['gpu', 'qlora']);
  assert.equal(opts[0].label, 'Use A100 80GB (Vast.ai, $1.19/h)');
  assert.deepEqual(opts[0].request_patch, { platform: 'vastai', plan: 'a100-80gb', gpu_override: null });
  assert.deepEqual(fitOptions({ fits: false, hyperparameters: { adapter_type: 'qlora' }, does_not_fit: null }), []);
});

test('predictions as values a person would set', () => {
  assert.equal(roundPrediction('lora_r', 27.2), '≈ 32');
  assert.equal(roundPrediction('max_seq_length', 2040), '≈ 2,048');
  assert.equal(roundPrediction('learning_rate', 0.00012513), '≈ 1.3e-4');
  assert.equal(roundPrediction('num_epochs', 2.6), '≈ 3');
  assert.equal(roundPrediction('lora_r', null), '–');
});

test('family keys', () => {
  assert.equal(familyKey('meta-llama/Llama-3.1-8B'), 'llama');
  assert.equal(familyKey('meta-llama/Meta-Llama-3-8B'), 'llama');
  assert.equal(familyKey('Qwen/Qwen2.5-7B-Instruct'), 'qwen');
  assert.equal(familyKey('mistralai/Mistral-7B-v0.3'), 'mistral');
  assert.notEqual(familyKey('TinyLlama/TinyLlama-1.1B'), familyKey('meta-llama/Llama-2-7b-hf'));
});
