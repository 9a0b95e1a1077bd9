// Token lengths of a data sample, counted approximately in the browser: the
// file never leaves the page. Each example's text is measured in characters
// and divided by a chars-per-token ratio for the model's tokenizer, chosen by
// its vocabulary size (docs/web.md, "Your data's token lengths", says where
// the ratios come from and how rough they are). Small (bundled into app.js);
// it runs only when a file is given.

/** Chars per token by tokenizer vocabulary; first row whose `min_vocab` the model reaches. */
export const RATIOS = [
  { min_vocab: 100000, chars_per_token: 4.0, label: 'large-vocabulary tokenizer (100k+ tokens: Llama 3, Qwen, Gemma)' },
  { min_vocab: 45000, chars_per_token: 3.7, label: 'GPT-2-style tokenizer (~50k tokens)' },
  { min_vocab: 0, chars_per_token: 3.4, label: '32k SentencePiece tokenizer (Llama 2, Mistral)' },
];
export const DEFAULT_VOCAB = 32000; // unknown models: the most tokens per character, the safe side
// Tokens a chat template adds per message (role markers, separators).
export const TOKENS_PER_MESSAGE = 4;
export const LIMITS = { maxBytes: 50 * 1024 * 1024, maxExamples: 200000 };

export function ratioFor(vocabSize) {
  const v = Number(vocabSize) > 0 ? Number(vocabSize) : DEFAULT_VOCAB;
  return RATIOS.find((r) => v >= r.min_vocab);
}

// The text of one message's content: a string, or the text parts of a list.
function contentText(c) {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === 'string' ? p : p && typeof p.text === 'string' ? p.text : '')).join('\n');
  return '';
}

/** One example (a string or an object) -> {chars, messages}. */
export function measureExample(ex) {
  if (typeof ex === 'string') return { chars: ex.length, messages: 0 };
  if (!ex || typeof ex !== 'object') return { chars: 0, messages: 0 };
  const turns = ex.messages || ex.conversations || ex.conversation;
  if (Array.isArray(turns)) {
    let chars = 0;
    for (const m of turns) chars += contentText(m && (m.content ?? m.value ?? m.text)).length;
    return { chars, messages: turns.length };
  }
  // Instruction / completion / preference rows: every string field is text.
  let chars = 0;
  for (const v of Object.values(ex)) {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v) || (v && typeof v === 'object')) chars += measureExample(v).chars;
  }
  return { chars, messages: 0 };
}

/**
 * The examples of a sample file: a JSON array (or {data|examples|rows: [...]}),
 * one chat object, JSON Lines, or plain text with blank lines between examples.
 * Returns {format, examples, skipped}.
 */
export function parseSample(text) {
  const t = String(text).replace(/^\uFEFF/, '');
  const trimmed = t.trim();
  if (!trimmed) return { format: 'empty', examples: [], skipped: 0 };
  if (trimmed[0] === '[' || trimmed[0] === '{') {
    try {
      const j = JSON.parse(trimmed);
      if (Array.isArray(j)) return { format: 'json', examples: j, skipped: 0 };
      const list = j.data || j.examples || j.rows;
      return { format: 'json', examples: Array.isArray(list) ? list : [j], skipped: 0 };
    } catch {
      // JSON Lines, below
    }
  }
  if (trimmed[0] === '{') {
    const examples = [];
    let skipped = 0;
    for (const line of trimmed.split(/\r?\n/)) {
      if (!line.trim()) continue;
      try {
        examples.push(JSON.parse(line));
      } catch {
        skipped++;
      }
    }
    return { format: 'jsonl', examples, skipped };
  }
  return { format: 'text', examples: trimmed.split(/\r?\n\s*\r?\n/), skipped: 0 };
}

// The q-quantile of sorted numbers (nearest rank).
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** Token lengths {p50, p95, max} of `examples` for a tokenizer with `vocabSize`, or null without examples. */
export function tokenStats(examples, vocabSize) {
  const ratio = ratioFor(vocabSize);
  const lengths = [];
  for (const ex of examples.slice(0, LIMITS.maxExamples)) {
    const { chars, messages } = measureExample(ex);
    if (chars > 0) lengths.push(Math.ceil(chars / ratio.chars_per_token) + messages * TOKENS_PER_MESSAGE);
  }
  if (!lengths.length) return null;
  lengths.sort((a, b) => a - b);
  return {
    tokens: { p50: quantile(lengths, 0.5), p95: quantile(lengths, 0.95), max: lengths[lengths.length - 1] },
    examples: lengths.length, ratio,
  };
}
