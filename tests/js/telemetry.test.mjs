// The site's log (web/telemetry.js): interaction labels, events of the
// telemetry schema, the JSONL export, the learning brain's evidence; and,
// with the native CLI, that `ftconfig telemetry import` stores the export and
// that `ftconfig recommend --feedback-store` aggregates the same evidence.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { root } from './helpers.mjs';

const t = await import(pathToFileURL(path.join(root, 'web', 'telemetry.js')).href);
const cli = process.env.FTCONFIG_CLI || path.join(root, 'build', 'bin', 'ftconfig');
const haveCli = fs.existsSync(cli);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('interactions map to labels as in seed 003', () => {
  assert.equal(t.interactionLabel('used'), 1.0);
  assert.equal(t.interactionLabel('copied'), 1.0);
  assert.equal(t.interactionLabel('downloaded'), 1.0);
  assert.equal(t.interactionLabel('saved'), 0.8);
  assert.equal(t.interactionLabel('dismissed'), 0);
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => t.interactionLabel('rated', r)), [0.1, 0.325, 0.55, 0.775, 1.0]);
  assert.deepEqual([1, 2, 3, 4, 5].map(t.ratingLabel), [0.1, 0.325, 0.55, 0.775, 1.0]);
  for (const bad of [0, 6, 2.5, '3', null]) assert.throws(() => t.ratingLabel(bad), RangeError);
  assert.throws(() => t.interactionLabel('clicked'), /unknown interaction/);
  // Copy and download are "used" in the schema (action), with what was done kept as "via".
  const e = t.interactionEvent('00000000-0000-4000-8000-000000000001', 'copied', { via: 'copy_json' });
  assert.equal(e.action, 'used');
  assert.equal(e.label, 1.0);
  assert.equal(e.via, 'copy_json');
  assert.equal(e.rating, undefined);
  const r = t.interactionEvent('00000000-0000-4000-8000-000000000001', 'rated', { rating: 4 });
  assert.equal(r.action, 'rated');
  assert.equal(r.rating, 4);
  assert.equal(r.label, 0.775);
});

test('feedback events check their fields and name the bad one', () => {
  const id = '00000000-0000-4000-8000-000000000001';
  const f = t.feedbackEvent(id, { rating: 3, outcome: 'oom', notes: '  OOM at step 40  ' });
  assert.equal(f.event, 'feedback');
  assert.equal(f.recommendation_event_id, id);
  assert.equal(f.notes, 'OOM at step 40');
  assert.deepEqual(t.feedbackEvent(id, { outcome: 'success' }).rating, null);
  assert.throws(() => t.feedbackEvent(id, {}), /^RangeError: rating: give a rating/);
  assert.throws(() => t.feedbackEvent(id, { rating: 9 }), /^RangeError: rating:/);
  assert.throws(() => t.feedbackEvent(id, { outcome: 'crashed' }), /^RangeError: outcome:/);
  assert.throws(() => t.feedbackEvent(id, { notes: 'x'.repeat(2001) }), /^RangeError: notes:/);
  assert.throws(() => t.feedbackEvent('', { rating: 3 }), /^RangeError: recommendation_event_id:/);
});

test('feedback and interactions carry the serving model slot and version (canary health)', () => {
  const id = '00000000-0000-4000-8000-000000000001';
  const serving = { slot: 'canary', version: 'r20261205T090000-abc123', reason: 'bucket' };
  const f = t.feedbackEvent(id, { rating: 4 }, serving);
  assert.equal(f.model_slot, 'canary');
  assert.equal(f.model_version, 'r20261205T090000-abc123');
  const i = t.interactionEvent(id, 'saved', {}, serving);
  assert.equal(i.model_slot, 'canary');
  assert.equal(i.model_version, 'r20261205T090000-abc123');
  assert.equal('model_slot' in t.feedbackEvent(id, { rating: 4 }), false);  // unknown: not claimed
});

// A response as the engine gives it, trimmed to what the summary reads.
function response({ used = 'hybrid', params = 8.03, score = 0.8, per = 40, usable = 79.2, decision = true } = {}) {
  const r = {
    engine_version: '0.1.0', fits: true,
    request: { platform: '', plan: '', model: 'meta-llama/Llama-3.1-8B', model_params_b: params, model_source: 'catalog', task_type: 'instruction_following', adapter_type: 'lora', strategy: 'auto' },
    gpu: { id: 'a100-80gb', name: 'NVIDIA A100 80GB', count: 1, usable_gb: usable, vram_gb: 80 },
    hyperparameters: { learning_rate: 0.0002, batch_size_per_device: 4 },
    vram: { per_gpu_gb: per, usable_gb: usable, eval_peak_gb: per / 2, margin_fraction: 0.4, breakdown: { weights: 16 } },
    time: { hours: 2, cost_usd: null, tokens_per_sec: 1000 },
    confidence: { score, level: 'high', reasons: ['x'] },
    strategy: { requested: 'auto', used, why: 'x', reranker: { status: 'missing', version: null } },
    candidates: [{ id: 'c1' }],
  };
  if (decision) r.strategy_decision = { applied: false, chosen: used, plain_auto: used, reason: 'x', min_evidence: 5, context: { task_type: 'instruction_following', adapter_type: 'lora', model_size_bucket: t.sizeBucket(params) }, evidence: null };
  return r;
}

test('a recommendation event keeps the request and a summary, not the whole answer', () => {
  const req = { gpu_override: 'A100 80GB', model: 'meta-llama/Llama-3.1-8B', adapter_type: 'lora', evidence: { strategies: {} } };
  const e = t.recommendationEvent(req, { ...response(), model_slot: 'canary', model_version: 'reranker-v4' });
  assert.equal(e.event, 'recommendation');
  assert.equal(e.schema_version, 1);
  assert.equal(e.source, 'browser');
  assert.match(e.event_id, UUID);
  assert.match(e.timestamp, ISO_UTC);
  assert.equal(e.strategy, 'hybrid');
  assert.equal(e.model_slot, 'canary');
  assert.equal(e.model_version, 'reranker-v4');
  assert.equal(e.request.evidence, undefined, 'the evidence is not logged with the request');
  assert.equal(e.response.candidates, undefined);
  assert.deepEqual(e.response.vram, { per_gpu_gb: 40, usable_gb: 79.2, eval_peak_gb: 20, margin_fraction: 0.4 });
  assert.deepEqual(e.response.strategy, { requested: 'auto', used: 'hybrid' });
  assert.equal(e.response.strategy_decision.context.model_size_bucket, 'large');
  // Without slot fields in the response: null, as the schema allows.
  const plain = t.recommendationEvent(req, response());
  assert.equal(plain.model_slot, null);
  assert.equal(plain.model_version, null);
  assert.ok(t.canonicalJson(plain).length < 64 * 1024);
});

function sampleLog() {
  const rec = t.recommendationEvent({ gpu: 'A100 80GB', model: 'meta-llama/Llama-3.1-8B' }, response());
  const rec2 = t.recommendationEvent({ gpu: 'A100 80GB', model: 'meta-llama/Llama-3.1-8B', strategy: 'deterministic' }, response({ used: 'deterministic', score: 0.6, per: 70 }));
  const other = t.recommendationEvent({ gpu: 'T4', model: 'Qwen/Qwen2.5-3B' }, response({ params: 3.1 }));
  return [
    rec, rec2, other,
    t.feedbackEvent(rec.event_id, { rating: 4, outcome: 'success', notes: 'fine, "quoted" ünïcode' }),
    t.interactionEvent(rec.event_id, 'rated', { rating: 4 }),
    t.interactionEvent(rec.event_id, 'copied', { via: 'copy_json' }),
    t.interactionEvent(rec.event_id, 'saved'),
    t.feedbackEvent(rec2.event_id, { rating: 2, outcome: 'oom' }),
    t.interactionEvent(rec2.event_id, 'dismissed'),
    t.feedbackEvent(other.event_id, { rating: 5 }),
  ];
}

test('the JSONL export: one event per line, keys sorted, local fields dropped', () => {
  const events = sampleLog().map((e, i) => ({ ...e, _seq: i, _uploaded_at: i === 0 ? '2026-01-01T00:00:00.000Z' : undefined }));
  const text = t.toJsonl(events);
  assert.ok(text.endsWith('\n'));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, events.length);
  for (const line of lines) {
    const e = JSON.parse(line);
    const keys = Object.keys(e);
    assert.deepEqual(keys, [...keys].sort(), 'keys sorted');
    assert.ok(!keys.some((k) => k.startsWith('_')), 'no local fields');
    assert.equal(e.schema_version, 1);
    assert.equal(e.source, 'browser');
    assert.match(e.event_id, UUID);
    assert.match(e.timestamp, ISO_UTC);
    assert.ok(['recommendation', 'feedback', 'interaction'].includes(e.event));
    if (e.event !== 'recommendation') assert.match(e.recommendation_event_id, UUID);
    if (e.event === 'interaction') assert.equal(typeof e.label, 'number');
    // Nested objects are sorted too.
    if (e.response) assert.deepEqual(Object.keys(e.response), Object.keys(e.response).sort());
  }
  assert.equal(t.toJsonl([]), '');
  // The upload body: the same events under "events".
  const body = JSON.parse(t.uploadBody(events));
  assert.equal(body.events.length, events.length);
  assert.ok(!Object.keys(body.events[0]).includes('_seq'));
  assert.equal(t.ingestUrl('http://127.0.0.1:8787'), 'http://127.0.0.1:8787/v1/events');
  assert.equal(t.ingestUrl('https://t.example.org/custom/path'), 'https://t.example.org/custom/path');
  assert.throws(() => t.ingestUrl('ftp://x'), RangeError);
});

test('evidence for the learning brain, per strategy, for one context', () => {
  const events = sampleLog();
  const ev = t.evidenceFromEvents(events, { task_type: 'instruction_following', adapter_type: 'lora', model_size_bucket: 'large' });
  assert.deepEqual(ev.context, { task_type: 'instruction_following', adapter_type: 'lora', model_size_bucket: 'large' });
  const h = ev.strategies.hybrid;
  assert.equal(h.recommendations, 1);
  assert.equal(h.feedback, 1);
  assert.equal(h.ratings, 1);
  assert.equal(h.mean_rating, 4);
  assert.equal(h.success, 1);
  assert.equal(h.interactions, 2, 'copied and saved; the rated interaction counts through its feedback');
  assert.ok(Math.abs(h.mean_label - 0.9) < 1e-12);
  const d = ev.strategies.deterministic;
  assert.equal(d.oom, 1);
  assert.equal(d.mean_label, 0);
  assert.ok(Math.abs(d.mean_vram_utilization - 70 / 79.2) < 1e-12);
  assert.equal(ev.strategies.hybrid_ml, undefined);
  // The medium model's recommendation belongs to another context.
  const medium = t.evidenceFromEvents(events, { task_type: 'instruction_following', adapter_type: 'lora', model_size_bucket: 'medium' });
  assert.equal(medium.strategies.hybrid.feedback, 1);
  assert.equal(medium.strategies.hybrid.mean_rating, 5);
  assert.equal(t.hasSignals(events), true);
  assert.equal(t.hasSignals(events.slice(0, 3)), false);
});

test('the export imports with the native CLI, and the CLI aggregates the same evidence', { skip: !haveCli && `no CLI at ${cli}` }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftconfig-telemetry-js-'));
  try {
    const run = (args, input) => spawnSync(cli, args, { input, encoding: 'utf8' });
    // A real answer, so the recommendation events describe what the engine gives.
    const r = run(['recommend', '--gpu', 'A100 80GB', '--model', 'meta-llama/Llama-3.1-8B', '--adapter', 'lora']);
    assert.equal(r.status, 0, r.stderr);
    const real = JSON.parse(r.stdout);
    const request = { gpu_override: 'A100 80GB', model: 'meta-llama/Llama-3.1-8B', adapter_type: 'lora' };
    const events = [];
    for (let i = 0; i < 6; i++) {
      const used = i % 2 ? 'deterministic' : 'hybrid';
      const rec = t.recommendationEvent(request, { ...real, strategy: { ...real.strategy, used } });
      events.push(rec, t.feedbackEvent(rec.event_id, { rating: used === 'hybrid' ? 5 : 3, outcome: i === 1 ? 'oom' : 'success' }));
      events.push(t.interactionEvent(rec.event_id, 'rated', { rating: used === 'hybrid' ? 5 : 3 }));
      events.push(t.interactionEvent(rec.event_id, i < 2 ? 'downloaded' : 'saved', { via: 'test' }));
    }
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, t.toJsonl(events));
    const store = path.join(dir, 'store.db');
    const imp = run(['telemetry', 'import', file, '--store', store]);
    assert.equal(imp.status, 0, imp.stdout + imp.stderr);
    const out = JSON.parse(imp.stdout);
    assert.equal(out.lines, events.length);
    assert.equal(out.stored, events.length);
    assert.equal(out.rejected, 0);
    // Again: nothing new.
    assert.equal(JSON.parse(run(['telemetry', 'import', file, '--store', store]).stdout).duplicates, events.length);

    const withStore = run(['recommend', '--gpu', 'A100 80GB', '--model', 'meta-llama/Llama-3.1-8B', '--adapter', 'lora', '--feedback-store', store]);
    assert.equal(withStore.status, 0, withStore.stderr);
    const decision = JSON.parse(withStore.stdout).strategy_decision;
    const js = t.evidenceFromEvents(events, decision.context);
    const round = (x) => (x === undefined ? null : Math.round(x * 1000) / 1000);
    for (const [name, e] of Object.entries(js.strategies)) {
      const c = decision.evidence[name];
      for (const k of ['recommendations', 'feedback', 'ratings', 'interactions', 'success', 'failed', 'oom']) assert.equal(c[k], e[k], `${name}.${k}`);
      for (const k of ['mean_rating', 'mean_label', 'mean_confidence', 'mean_vram_utilization']) assert.equal(c[k], round(e[k]), `${name}.${k}`);
    }
    assert.equal(decision.applied, true);
    assert.equal(decision.chosen, 'hybrid');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
