// web/tokens.js: a dropped data sample's token lengths, counted in the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { measureExample, parseSample, ratioFor, tokenStats, TOKENS_PER_MESSAGE } from '../../web/tokens.js';

test('JSON Lines: one example a line, unreadable lines counted as skipped', () => {
  const p = parseSample('{"text": "abcd"}\n\n{"instruction": "ab", "output": "cd"}\nnot json\n');
  assert.equal(p.format, 'jsonl');
  assert.equal(p.examples.length, 2);
  assert.equal(p.skipped, 1);
});

test('chat JSON: an array of conversations, an object with data, or one conversation', () => {
  const chat = { messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: [{ type: 'text', text: 'hi!' }] }] };
  assert.equal(parseSample(JSON.stringify([chat, chat])).examples.length, 2);
  assert.equal(parseSample(JSON.stringify({ data: [chat] })).examples.length, 1);
  assert.deepEqual(parseSample(JSON.stringify(chat)).examples, [chat]);
  // ShareGPT's {from, value} turns count too; roles are not text.
  assert.deepEqual(measureExample(chat), { chars: 8, messages: 2 });
  assert.deepEqual(measureExample({ conversations: [{ from: 'human', value: 'abc' }] }), { chars: 3, messages: 1 });
});

test('plain text: blank lines separate examples', () => {
  const p = parseSample('first example\nstill first\n\nsecond\n\n\nthird');
  assert.equal(p.format, 'text');
  assert.equal(p.examples.length, 3);
});

test('the ratio follows the vocabulary; unknown models count the most tokens', () => {
  assert.equal(ratioFor(128256).chars_per_token, 4.0);
  assert.equal(ratioFor(50257).chars_per_token, 3.7);
  assert.equal(ratioFor(32000).chars_per_token, 3.4);
  assert.equal(ratioFor(null).chars_per_token, 3.4);
});

test('p50, p95 and max by nearest rank, with the chat template\'s tokens per message', () => {
  const examples = Array.from({ length: 100 }, (_, i) => 'x'.repeat(4 * (i + 1))); // 1..100 tokens at 4 chars/token
  assert.deepEqual(tokenStats(examples, 128256).tokens, { p50: 50, p95: 95, max: 100 });
  const chat = [{ messages: [{ role: 'user', content: 'x'.repeat(40) }, { role: 'assistant', content: 'y'.repeat(40) }] }];
  assert.equal(tokenStats(chat, 128256).tokens.max, 20 + 2 * TOKENS_PER_MESSAGE);
  assert.equal(tokenStats([], 128256), null);
  assert.equal(tokenStats([{ n: 1 }], 128256), null);
});
