// Rendering of an engine response into DOM, shared by the site (index.html)
// and the widget (inside its shadow root). Builds elements with textContent
// only: nothing from a response is ever parsed as HTML. Styles: render.css.

/** Creates an element: h('div', {class: 'x', onclick: f}, 'text', child). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// ---- number formatting -----------------------------------------------------
const num = (x, digits = 3) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
// 1234567 -> "1,234,567". By hand: the first toLocaleString() of a page loads
// ICU's locale data, ~80 ms on the main thread before the first answer shows
// (cold start, docs/performance.md).
const grouped = (n) => {
  const digits = String(Math.abs(n));
  if (!/^\d+$/.test(digits)) return String(n); // 1e21 and beyond: as JavaScript writes them
  return (n < 0 ? '-' : '') + digits.replace(/\B(?=(\d{3})+$)/g, ',');
};
export const fmt = {
  gb: (x) => (num(x) === null ? '–' : `${x < 10 ? x.toFixed(2) : x.toFixed(1)} GB`),
  number: (x) => {
    if (num(x) === null) return '–';
    if (Number.isInteger(x)) return grouped(x);
    if (Math.abs(x) > 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(1).replace('e-', 'e-').replace('.0e', 'e');
    return String(Number(x.toPrecision(3)));
  },
  pct: (x) => (num(x) === null ? '–' : `${Math.round(x * 100)}%`),
  // A timestamp in local time, "2026-11-22 18:45:03": by hand for the same
  // reason as `grouped` (toLocaleString would load ICU's locale data on the
  // main thread just after the first answer shows).
  time: (ts) => {
    const d = new Date(ts);
    if (Number.isNaN(d.getTime())) return '–';
    const two = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  },
  hours: (h) => {
    if (num(h) === null) return '–';
    if (h < 1) return `${Math.max(1, Math.round(h * 60))} min`;
    if (h < 48) return `${h.toFixed(1)} h`;
    return `${(h / 24).toFixed(1)} days`;
  },
  usd: (x) => (num(x) === null ? '–' : x === 0 ? 'free' : `$${x < 10 ? x.toFixed(2) : grouped(Math.round(x))}`),
  value: (v) => {
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'number') return fmt.number(v);
    if (v === null || v === undefined) return '–';
    return String(v);
  },
};

// ---- VRAM ----------------------------------------------------------------------
/** The memory components in stacking order, with what each one is for this answer. */
export const COMPONENTS = [
  { key: 'weights', label: 'Weights', explain: (hp) => (hp.load_in_4bit ? 'the base model in 4-bit NF4 (QLoRA); embeddings and norms stay 16-bit'
    : `the base model in ${hp.precision === 'fp32' ? 'fp32' : '16-bit'}${hp.adapter_type === 'none' ? '' : ', frozen'}`) },
  { key: 'adapters', label: 'Adapters', explain: (hp) => (hp.adapter_type === 'none' ? 'none: full fine-tuning trains the weights themselves'
    : `the trainable LoRA matrices (rank ${hp.lora_r ?? '?'} on ${hp.lora_target ?? '?'}), kept in fp32`) },
  { key: 'gradients', label: 'Gradients', explain: () => 'one gradient per trainable parameter' },
  { key: 'optimizer', label: 'Optimizer', explain: (hp) => `${hp.optimizer || 'optimizer'} state per trainable parameter${/8bit/.test(hp.optimizer || '') ? ' (8-bit: a quarter of AdamW\'s two fp32 moments)' : ''}${hp.adapter_type === 'none' && hp.pure_bf16 === false ? ', plus fp32 master weights' : ''}` },
  { key: 'activations', label: 'Activations', explain: (hp) => `saved for the backward pass: batch ${hp.batch_size_per_device ?? '?'} × ${fmt.number(hp.max_seq_length)} tokens${hp.gradient_checkpointing ? ', gradient checkpointing keeps only layer inputs' : ''}` },
  { key: 'logits', label: 'Logits & loss', explain: () => 'a vocabulary-sized score per token, upcast to fp32 for the loss' },
  { key: 'overhead', label: 'Overhead', explain: () => 'CUDA context, kernel workspaces and allocator fragmentation' },
];

// A label under the bar at `at` (0..1 of its width) that never leaves the
// card: it starts at its mark on the left half and ends at it on the right.
function scaleMark(cls, at, text) {
  const x = Math.max(0, Math.min(1, at));
  return h('span', { class: `${cls} ${x < 0.5 ? 'from-left' : 'from-right'}`,
    style: x < 0.5 ? { left: `${(x * 100).toFixed(2)}%` } : { right: `${((1 - x) * 100).toFixed(2)}%` } }, text);
}

/** Stacked bar of the per-GPU peak by component against the usable capacity. */
export function vramChart(r, { compact = false } = {}) {
  const v = r.vram || {};
  const b = v.breakdown || {};
  const usable = v.usable_gb || (r.gpu && r.gpu.usable_gb) || 0;
  const total = v.per_gpu_gb || COMPONENTS.reduce((s, c) => s + (b[c.key] || 0), 0);
  const scale = Math.max(usable, total) * 1.04 || 1;
  const pct = (x) => `${Math.max(0, Math.min(100, (x / scale) * 100)).toFixed(2)}%`;
  const over = total > usable;
  const summary = `${fmt.gb(total)} per GPU of ${fmt.gb(usable)} usable` + (v.limit_gb ? `; safe limit ${fmt.gb(v.limit_gb)}` : '');
  const bar = h('div', { class: 'vram-bar', role: 'img', 'aria-label': `Estimated peak memory: ${summary}` },
    COMPONENTS.filter((c) => (b[c.key] || 0) > 0).map((c) => h('span', {
      class: `seg seg-${c.key}`,
      style: { width: pct(b[c.key]) },
      title: `${c.label}: ${fmt.gb(b[c.key])}`,
    })),
    h('span', { class: `capacity${over ? ' over' : ''}`, style: { left: pct(usable) }, title: `usable capacity ${fmt.gb(usable)}` }),
    v.limit_gb ? h('span', { class: 'limit', style: { left: pct(v.limit_gb) }, title: `safe limit ${fmt.gb(v.limit_gb)}` }) : null,
  );
  const scaleRow = h('div', { class: 'vram-scale', 'aria-hidden': 'true' },
    v.limit_gb ? scaleMark('mark-limit', v.limit_gb / scale, `limit ${fmt.gb(v.limit_gb)}`) : null,
    scaleMark('mark-capacity', usable / scale, `usable ${fmt.gb(usable)}`),
    over ? scaleMark('mark-peak', total / scale, `peak ${fmt.gb(total)}`) : null);
  const fig = h('figure', { class: 'vram' },
    h('figcaption', {}, h('strong', {}, fmt.gb(total)), ' peak per GPU · ', fmt.gb(usable), ' usable',
      r.gpu ? ` on ${r.gpu.count > 1 ? `each of ${r.gpu.count} × ` : ''}${r.gpu.name}` : ''),
    bar, scaleRow);
  if (compact) {
    fig.append(h('p', { class: 'legend-inline' }, COMPONENTS.filter((c) => (b[c.key] || 0) > 0.005).map((c) =>
      h('span', { class: 'key' }, h('i', { class: `sw seg-${c.key}`, 'aria-hidden': 'true' }), `${c.label} ${fmt.gb(b[c.key])}`))));
    return fig;
  }
  const rows = COMPONENTS.map((c) => h('tr', {},
    h('th', { scope: 'row' }, h('i', { class: `sw seg-${c.key}`, 'aria-hidden': 'true' }), c.label),
    h('td', { class: 'num' }, fmt.gb(b[c.key] || 0)),
    h('td', { class: 'why' }, c.explain(r.hyperparameters || {}))));
  rows.push(h('tr', { class: 'total' }, h('th', { scope: 'row' }, 'Peak per GPU'), h('td', { class: 'num' }, fmt.gb(total)),
    h('td', { class: 'why' }, !v.limit_gb ? '' : over || r.fits === false
      ? `${fmt.gb(total - v.limit_gb)} more than the safe limit (${fmt.pct(v.fit_fraction)} of the usable ${fmt.gb(usable)}: ${fmt.gb(v.limit_gb)})`
      : `fits when at most ${fmt.pct(v.fit_fraction)} of the usable ${fmt.gb(usable)} (${fmt.gb(v.limit_gb)}); margin ${fmt.gb(v.margin_gb)}`)));
  const later = [];
  if (num(v.eval_peak_gb) !== null && v.eval_peak_gb > 0) later.push(['Evaluation peak', v.eval_peak_gb, 'during evaluation at the recommended eval batch size']);
  if (num(v.merge_peak_gb) !== null && v.merge_peak_gb > 0) later.push(['Merge peak', v.merge_peak_gb, 'when merging the adapter into 16-bit base weights after training (can run on CPU or a larger GPU)']);
  for (const [label, gb, why] of later) {
    rows.push(h('tr', { class: gb > usable ? 'later over' : 'later' }, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, fmt.gb(gb)),
      h('td', { class: 'why' }, `${why}${gb > usable ? ': more than this GPU holds' : ''}`)));
  }
  fig.append(h('table', { class: 'legend' }, h('caption', { class: 'sr-only' }, 'Memory by component'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Component'), h('th', { scope: 'col', class: 'num' }, 'GB'), h('th', { scope: 'col' }, 'What it is'))),
    h('tbody', {}, rows)));
  if (v.notes && v.notes.length) fig.append(h('ul', { class: 'notes' }, v.notes.map((n) => h('li', {}, n))));
  fig.append(h('p', { class: 'muted unit-note' }, `Memory is in GB of 10⁹ bytes everywhere on this page; "usable" is what one process can allocate. ` +
    `A GPU's name keeps its marketing size${r.gpu && num(r.gpu.vram_gb) !== null ? ` (${r.gpu.name}: ${fmt.gb(r.gpu.usable_gb ?? usable)} usable)` : ''}.`));
  return fig;
}

// ---- hyperparameters -----------------------------------------------------------
const HP_ORDER = [
  'adapter_type', 'learning_rate', 'lr_scheduler', 'warmup_ratio', 'num_epochs', 'batch_size_per_device',
  'gradient_accumulation_steps', 'effective_batch_size', 'max_seq_length', 'lora_r', 'lora_alpha', 'lora_dropout',
  'lora_target', 'optimizer', 'precision', 'pure_bf16', 'gradient_checkpointing', 'attn_implementation', 'weight_decay',
  'per_device_eval_batch_size', 'load_in_4bit', 'bnb_4bit_quant_type', 'bnb_4bit_compute_dtype', 'bnb_4bit_use_double_quant',
];
// What a hyperparameter is, for those the engine gives no "why" for.
const HP_WHAT = {
  adapter_type: 'none = full fine-tuning; lora = low-rank adapters on a 16-bit base; qlora = adapters on a 4-bit base',
  lr_scheduler: 'how the learning rate changes over training',
  warmup_ratio: 'fraction of steps spent ramping the learning rate up',
  gradient_accumulation_steps: 'micro-batches summed before each optimizer step',
  lora_alpha: 'LoRA scaling; the update is multiplied by alpha / r',
  lora_dropout: 'dropout on the adapter inputs',
  lora_target: 'which linear layers get adapters',
  attn_implementation: 'attention kernel: sdpa (PyTorch), flash_attention_2 (Ampere and newer)',
  weight_decay: 'L2-style regularisation applied by the optimizer',
  per_device_eval_batch_size: 'kept small so evaluation cannot run out of memory after training fitted',
  load_in_4bit: 'load the base weights in 4-bit (bitsandbytes)',
  bnb_4bit_quant_type: '4-bit data type of the base weights',
  bnb_4bit_compute_dtype: 'dtype the 4-bit weights are dequantized to for matmuls',
  bnb_4bit_use_double_quant: 'also quantize the quantization constants (saves ~0.4 bit/parameter)',
  pure_bf16: 'weights in bf16 without fp32 master copies',
};
const HP_LABEL = {
  adapter_type: 'method', batch_size_per_device: 'batch size per GPU', gradient_accumulation_steps: 'gradient accumulation',
  effective_batch_size: 'effective batch', max_seq_length: 'max sequence length', per_device_eval_batch_size: 'eval batch size',
  attn_implementation: 'attention', lr_scheduler: 'LR schedule', num_epochs: 'epochs',
};
export const hpLabel = (k) => HP_LABEL[k] || k.replace(/_/g, ' ');

function orderedHp(hp) {
  const keys = Object.keys(hp || {});
  return [...HP_ORDER.filter((k) => keys.includes(k)), ...keys.filter((k) => !HP_ORDER.includes(k)).sort()];
}

export function hyperparameterTable(r) {
  const hp = r.hyperparameters || {};
  const why = r.why || {};
  return h('table', { class: 'hp' },
    h('caption', { class: 'sr-only' }, 'Recommended hyperparameters and why'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Why'))),
    h('tbody', {}, orderedHp(hp).map((k) => h('tr', { 'data-key': k },
      h('th', { scope: 'row' }, h('code', {}, k), hpLabel(k) !== k.replace(/_/g, ' ') ? h('span', { class: 'alias' }, hpLabel(k)) : null),
      h('td', { class: 'val' }, fmt.value(hp[k])),
      h('td', { class: why[k] ? 'why' : 'why what' }, why[k] || HP_WHAT[k] || '')))));
}

// ---- other sections ---------------------------------------------------------------
const METHODS = { none: 'full fine-tuning', full: 'full fine-tuning', lora: 'LoRA', qlora: 'QLoRA' };
export const methodName = (a) => METHODS[a] || a || '';
const switched = (r) => r.hyperparameters && r.request && r.hyperparameters.adapter_type && r.request.adapter_type &&
  METHODS[r.hyperparameters.adapter_type] !== METHODS[r.request.adapter_type];

// ---- the answer first ----------------------------------------------------------
const gpuText = (g) => `${g.count > 1 ? `${g.count} × ` : 'one '}${g.name || g.id || 'GPU'}`;
// "Llama-3.1-8B" for a catalog model; a custom one by its name and size.
const modelText = (r) => {
  const req = r.request || {};
  const name = req.model ? String(req.model).split('/').pop() : '';
  if (req.model_source === 'catalog' && name) return name;
  const size = req.model_params_b ? `${fmt.number(req.model_params_b)}B` : '';
  return name && size ? `${name} (${size})` : name || (size ? `a ${size} model` : 'the model');
};

/** The verdict and its margin as one sentence, in plain words. */
export function verdictSentence(r) {
  const v = r.vram || {};
  const g = r.gpu || {};
  const hp = r.hyperparameters || {};
  const method = methodName(hp.adapter_type || (r.request || {}).adapter_type);
  if (r.fits === false) {
    return `Does not fit: ${modelText(r)}${method ? ` with ${method}` : ''} needs ${fmt.gb(v.per_gpu_gb)} per GPU at its ` +
      `peak, and ${gpuText(g)} has ${fmt.gb(v.usable_gb)} usable.`;
  }
  const tight = num(v.margin_fraction) !== null && v.margin_fraction < 0.1;
  const time = r.time && num(r.time.hours) !== null ? ` Training takes about ${fmt.hours(r.time.hours)}` +
    (num(r.time.cost_usd) !== null ? ` (${r.time.cost_usd === 0 ? 'free' : `about ${fmt.usd(r.time.cost_usd)}`}).` : '.') : '';
  return `${tight ? 'Fits, with little to spare' : 'Fits'}: ${modelText(r)} with ${method} on ${gpuText(g)} peaks at ` +
    `${fmt.gb(v.per_gpu_gb)} of ${fmt.gb(v.usable_gb)} usable, ${fmt.gb(v.margin_gb)} to spare.${time}`;
}

export function verdict(r) {
  const req = r.request || {};
  const hp = r.hyperparameters || {};
  const v = r.vram || {};
  const kind = r.fits === false ? 'bad' : num(v.margin_fraction) !== null && v.margin_fraction < 0.1 ? 'tight' : 'good';
  const badge = { bad: 'Does not fit', tight: 'Fits, tight', good: 'Fits' }[kind];
  return h('div', { class: `verdict ${kind}`, id: 'verdict', tabindex: '-1' },
    h('p', { class: 'headline' }, h('span', { class: `badge ${kind}` }, badge), ' ', verdictSentence(r).replace(/^[^:]*: /, '')),
    kind !== 'bad' && switched(r) ? h('p', { class: 'switched' }, `You asked for ${methodName(req.adapter_type)}; ${methodName(hp.adapter_type)} is what fits.`) : null,
    kind === 'bad' && (r.does_not_fit || {}).message ? h('p', {}, String(r.does_not_fit.message)
      .replace(/^does not fit:\s*/i, '').replace(/\s*\([a-z]+_[a-z_]+\)/g, '')) : null);
}

const DISTRIBUTION = {
  ddp: 'DDP: a full copy per GPU', zero2: 'DeepSpeed ZeRO-2', zero3: 'DeepSpeed ZeRO-3', fsdp: 'FSDP (sharded)',
  zero3_offload: 'DeepSpeed ZeRO-3, offload to CPU',
};
const loraTargets = (hp) => {
  if (Array.isArray(hp.lora_target_modules) && hp.lora_target_modules.length) return hp.lora_target_modules.join(', ');
  const t = hp.lora_target || hp.lora_target_class; // PEFT's target_modules value first: what a person copies
  return t ? String(t).replace(/,\s*/g, ', ') : null;
};

/** The values a person copies into a trainer: [{key, label, value}], absent ones left out. */
export function configValues(r) {
  const hp = r.hyperparameters || {};
  const g = r.gpu || {};
  const out = [];
  const add = (key, label, value) => { if (value !== null && value !== undefined && value !== '') out.push({ key, label, value }); };
  add('learning_rate', 'Learning rate', hp.learning_rate === undefined ? null : `${fmt.number(hp.learning_rate)}${hp.lr_scheduler ? `, ${hp.lr_scheduler}` : ''}`);
  if (hp.batch_size_per_device !== undefined) {
    const ga = hp.gradient_accumulation_steps || 1;
    add('batch', 'Batch', `${hp.batch_size_per_device} × ${ga} accumulation${g.count > 1 ? ` × ${g.count} GPUs` : ''}` +
      `${hp.effective_batch_size ? ` = ${hp.effective_batch_size}` : ''}`);
  }
  add('max_seq_length', 'Sequence length', hp.max_seq_length === undefined ? null : `${fmt.number(hp.max_seq_length)} tokens`);
  if (hp.adapter_type && hp.adapter_type !== 'none') {
    add('lora', 'LoRA', hp.lora_r === undefined ? null : `r ${hp.lora_r}, alpha ${hp.lora_alpha ?? '?'}${hp.lora_dropout ? `, dropout ${fmt.number(hp.lora_dropout)}` : ''}`);
    add('lora_targets', 'LoRA targets', loraTargets(hp));
  }
  add('precision', 'Precision', hp.precision ? `${hp.precision}${hp.load_in_4bit ? ', base in 4-bit' : ''}` : null);
  add('num_epochs', 'Epochs', hp.num_epochs === undefined ? null : fmt.number(hp.num_epochs));
  add('optimizer', 'Optimizer', hp.optimizer ? `${hp.optimizer}${hp.gradient_checkpointing ? ', gradient checkpointing' : ''}` : null);
  if (hp.distribution && hp.distribution !== 'none') add('distribution', 'Across GPUs', DISTRIBUTION[hp.distribution] || hp.distribution);
  // The trainer the memory figures are for (the response's framework), else the stack's frameworks.
  const fw = (r.dependencies || {}).frameworks;
  if (r.framework && r.framework.label) add('framework', 'Memory figures for', r.framework.label);
  else if (fw && Object.keys(fw).length) add('framework', 'Framework', Object.keys(fw).slice(0, 2).join(', '));
  return out;
}

// Prose values (the trainer's name) span the card and read as text, not code: on a phone a
// monospace column of four lines pushed the downloads below the first screen.
const PROSE_VALUES = new Set(['framework']);
const configList = (r) => h('dl', { class: 'config-values' }, configValues(r).map((x) =>
  h('div', { class: PROSE_VALUES.has(x.key) ? 'cfg prose' : 'cfg', 'data-cfg': x.key }, h('dt', {}, x.label), h('dd', {}, x.value))));

/** The configuration card: the values to train with, then `extra` (the downloads). */
export function configCard(r, extra = null) {
  const c = r.confidence || {};
  const level = String(c.level || 'unknown');
  return h('section', { class: 'config-card', id: 'config', 'aria-labelledby': 'config-h' },
    h('h2', { id: 'config-h' }, 'Train with'),
    configList(r),
    h('p', { class: 'config-confidence' }, h('span', { class: `badge conf-${level}` }, `${level} confidence`),
      c.reasons && c.reasons.length ? ` ${c.reasons[0]}` : ''),
    extra);
}

// An engine label in plain words: "(zero3)" -> "(DeepSpeed ZeRO-3)", "x" -> "×".
const plainLabel = (label) => label.replace(/\((ddp|zero2|zero3|fsdp|zero3_offload)\)/g, (m, d) => `(${DISTRIBUTION[d].replace(/:.*/, '')})`)
  .replace(/^(\d+) x /, '$1 × ');

/**
 * What would fit, as request patches: the planner's does_not_fit.options when
 * the engine gives them, else the smallest fitting GPU and QLoRA.
 */
export function fitOptions(r, { platformName = (id) => id } = {}) {
  const nf = r.does_not_fit || {};
  const req = r.request || {};
  if (Array.isArray(nf.options) && nf.options.length) {
    return nf.options.filter((o) => o && o.request_patch && typeof o.label === 'string').slice(0, 8)
      .map((o) => ({ ...o, label: plainLabel(o.label) }));
  }
  const out = [];
  const s = nf.smallest_fitting;
  if (s && (s.gpu || s.platform)) {
    const patch = s.platform && s.plan ? { platform: s.platform, plan: s.plan, gpu_override: null } : { gpu_override: s.gpu, platform: null, plan: null };
    const price = num(s.price_per_gpu_hour_usd) !== null ? `, ${fmt.usd(s.price_per_gpu_hour_usd)}/h` : '';
    out.push({ kind: 'gpu', label: `Use ${s.name || s.gpu}${s.platform ? ` (${platformName(s.platform)}${price})` : ''}`, request_patch: patch });
  }
  const method = (r.hyperparameters || {}).adapter_type || req.adapter_type;
  if (method !== 'qlora') out.push({ kind: 'qlora', label: 'Use QLoRA (4-bit base)', request_patch: { adapter_type: 'qlora', allow_qlora: null } });
  return out;
}

// "as of 2026-05-07, source: ..." for a priced plan (opts.priceInfo(r) gives
// the catalog's price_date and price_source; absent in the widget).
function priceNote(r, opts) {
  const info = opts.priceInfo ? opts.priceInfo(r) : null;
  if (!info) return '';
  const date = info.price_date ? `price as of ${info.price_date}` : 'price undated';
  return ` · ${date}${info.price_source ? `, source: ${info.price_source}` : ''}`;
}

export function timeSection(r, opts = {}) {
  const t = r.time || {};
  const g = r.gpu || {};
  const rows = [
    ['Training time', fmt.hours(t.hours), `${fmt.number(t.total_tokens)} tokens (${fmt.number(t.dataset_size)} examples × ${fmt.number(t.epochs)} epochs) at ${fmt.number(t.tokens_per_sec)} tokens/s`],
    ['Throughput', `${fmt.number(t.tokens_per_sec)} tokens/s`, num(t.mfu_assumed) !== null ? `assumes ${fmt.pct(t.mfu_assumed)} of the GPU's peak FLOP/s for this GPU class and method` : ''],
    ['Cost', num(t.cost_usd) === null ? 'not priced' : fmt.usd(t.cost_usd),
      num(t.price_per_gpu_hour_usd) !== null ? `${fmt.usd(t.price_per_gpu_hour_usd)} per GPU-hour × ${g.count || 1} GPU × ${fmt.hours(t.hours)}${t.price_per_gpu_hour_usd ? priceNote(r, opts) : ''}` : 'choose a platform plan to price it'],
  ];
  if (num(t.session_limit_hours) !== null) {
    rows.push(['Session limit', `${fmt.number(t.session_limit_hours)} h`, t.fits_session === false
      ? 'the run is longer than one session: checkpoint and resume, or shorten it'
      : 'the run finishes within one session']);
  }
  return h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v, why]) => h('tr', {},
    h('th', { scope: 'row' }, k), h('td', { class: 'val' }, v), h('td', { class: 'why' }, why)))));
}

function githubLink(example) {
  const m = /^(.*)@([0-9a-f]{7,40})/.exec(example.source_path || '');
  if (!example.source_repo || !m) return null;
  return `https://github.com/${example.source_repo}/blob/${m[2]}/${m[1]}`;
}

// A predictor's estimate as a value a person would set: powers of two for
// sizes and ranks (27.2 -> 32, 2040 -> 2048), two significant digits else.
const POWER_OF_TWO = new Set(['lora_r', 'lora_alpha', 'batch_size_per_device', 'gradient_accumulation_steps',
  'effective_batch_size', 'max_seq_length', 'per_device_eval_batch_size']);
export function roundPrediction(key, v) {
  if (num(v) === null) return '–';
  if (POWER_OF_TWO.has(key) && v > 0) return `≈ ${fmt.number(2 ** Math.round(Math.log2(v)))}`;
  if (key === 'num_epochs') return `≈ ${fmt.number(Math.max(1, Math.round(v)))}`;
  return `≈ ${fmt.number(Number(v.toPrecision(2)))}`;
}

export function confidenceSection(r) {
  const c = r.confidence || {};
  const s = r.strategy || {};
  const p = r.profile || {};
  const level = String(c.level || 'unknown');
  return h('div', { class: 'confidence' },
    h('p', {}, h('span', { class: `badge conf-${level}` }, `${level} confidence`), num(c.score) !== null ? ` score ${fmt.number(c.score)} of 1` : ''),
    c.reasons && c.reasons.length ? h('ul', {}, c.reasons.map((x) => h('li', {}, x))) : null,
    s.hp_predictions && Object.keys(s.hp_predictions).length ? h('details', {},
      h('summary', {}, 'What a model trained on published configs expects (with its range)'),
      h('table', { class: 'kv' }, h('tbody', {}, Object.entries(s.hp_predictions).map(([k, p]) =>
        h('tr', {}, h('th', { scope: 'row' }, hpLabel(k)), h('td', { class: 'val' }, roundPrediction(k, p.value)),
          h('td', { class: 'why' }, `likely between ${roundPrediction(k, p.lo)} and ${roundPrediction(k, p.hi)}`)))))) : null,
    p.group ? h('p', { class: 'muted' }, `Based on ${fmt.number(p.pool_size)} published configs`,
      p.sources ? ` from ${p.sources} repositories` : '',
      p.fallback_level && p.fallback_level !== 'exact' ? ', from a broader group than your exact case (few configs match it)' : '', '.') : null,
    p.examples && p.examples.length ? h('details', {}, h('summary', {}, 'Example configs in this group'),
      h('ul', {}, p.examples.map((e) => {
        const href = githubLink(e);
        return h('li', {}, href ? h('a', { href, rel: 'noopener', target: '_blank' }, e.source_repo, ': ', e.source_path.split('@')[0]) : (e.id || ''));
      }))) : null);
}

export function warningsSection(r) {
  const d = r.diagnostics || {};
  const items = [];
  for (const w of r.warnings || []) items.push(['warn', 'Warning', w]);
  if (d.ood_task) items.push(['warn', 'Unusual task', 'the task is outside what the corpus covers: values come from broader groups']);
  if (d.task_in_corpus === false) items.push(['info', 'Task', 'no published configs for this task: values come from related tasks']);
  for (const c of d.clamps || []) items.push(['info', 'Adjusted', c]);
  for (const a of d.assumptions || []) items.push(['info', 'Assumed', a]);
  if (!items.length) return h('p', { class: 'muted' }, 'No warnings.');
  return h('ul', { class: 'diagnostics' }, items.map(([kind, label, text]) =>
    h('li', { class: kind }, h('strong', {}, `${label}: `), text)));
}

export function pipCommands(dep) {
  if (!dep || !dep.packages) return [];
  const pk = Object.entries(dep.packages);
  const torch = pk.find(([k]) => k === 'torch');
  const rest = pk.filter(([k]) => k !== 'torch').map(([k, v]) => `${k}==${v}`);
  const lines = [];
  if (torch) lines.push(`pip install torch==${torch[1]}${dep.torch_index_url ? ` --index-url ${dep.torch_index_url}` : ''}`);
  if (rest.length) lines.push(`pip install ${rest.join(' ')}`);
  return lines;
}

export function dependenciesSection(r, { onCopy } = {}) {
  const dep = r.dependencies;
  if (!dep) return h('p', { class: 'muted' }, 'No pinned stack for this GPU.');
  const cmd = pipCommands(dep).join('\n');
  return h('div', { class: 'deps' },
    h('p', {}, h('strong', {}, dep.label || dep.id), dep.python ? ` · Python ${dep.python}` : '', dep.cuda ? ` · CUDA ${dep.cuda}` : ''),
    cmd ? h('div', { class: 'code-block' }, h('pre', { tabindex: '0' }, h('code', {}, cmd)),
      onCopy ? h('button', { type: 'button', class: 'small', onclick: () => onCopy(cmd, 'install commands') }, 'Copy') : null) : null,
    dep.frameworks ? h('p', { class: 'muted' }, 'Frameworks: ', Object.entries(dep.frameworks).map(([k, v]) => `${k} ${v}`).join(' · ')) : null,
    dep.notes ? h('p', { class: 'muted' }, dep.notes) : null);
}

// "meta-llama/Llama-3.1-8B" -> "llama", "Qwen2.5-7B" -> "qwen": a family key
// for saying whether a published config is for the requested model's family.
export function familyKey(name) {
  const base = String(name || '').split('/').pop().toLowerCase().replace(/^meta-/, '');
  const m = /^[a-z]+/.exec(base);
  return m ? m[0] : '';
}

/** Ranked published configs similar to the request: the requested family first, then by score. */
export function candidatesSection(r) {
  const list = Array.isArray(r.candidates) ? r.candidates : [];
  if (!list.length) return null;
  const mine = familyKey((r.model && r.model.name) || (r.request || {}).model);
  const same = (c) => !!mine && familyKey(c.model_name || c.id) === mine;
  const score = (c) => (num(c.score) === null ? -Infinity : c.score);
  const sorted = list.map((c) => ({ c, same: same(c) }))
    .sort((a, b) => (b.same - a.same) || (score(b.c) - score(a.c)));
  const nSame = sorted.filter((x) => x.same).length;
  const cols = [
    ['learning_rate', 'LR'], ['batch_size_per_device', 'batch'], ['effective_batch_size', 'effective'],
    ['lora_r', 'r'], ['max_seq_length', 'seq'],
  ];
  return h('div', {},
    h('p', { class: 'muted' }, 'Published configurations closest to this request, your model\'s family first, then by score ',
      '(higher is closer): the evidence behind the values above. "Fits" says whether the config as written fits this GPU.'),
    h('p', { class: 'evidence-family', 'data-same-family': String(nSame) }, nSame === sorted.length
      ? `All ${nSame} are for your model's family.`
      : nSame === 0 ? 'None is for your model\'s family: the closest published configs are for other models.'
        : `${nSame} of ${sorted.length} are for your model's family; the others are for other models.`),
    h('p', { class: 'scroll-cue muted' }, 'More columns: swipe the table sideways →'),
    h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Published configurations (scrolls sideways)' }, h('table', { class: 'candidates' },
      h('caption', { class: 'sr-only' }, 'Published configurations, your model\'s family first, then by score'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Config'),
        h('th', { scope: 'col' }, 'Family'),
        cols.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)),
        h('th', { scope: 'col' }, 'Fits'), h('th', { scope: 'col', class: 'num' }, 'Score'))),
      h('tbody', {}, sorted.map(({ c, same: isSame }, i) => {
        const href = githubLink(c);
        const name = c.model_name || c.id || `candidate ${i + 1}`;
        return h('tr', { 'data-same-family': String(isSame) },
          h('td', {}, String(i + 1)),
          h('td', { class: 'cand' }, href ? h('a', { href, rel: 'noopener', target: '_blank' }, name) : name,
            c.source_repo ? h('span', { class: 'alias' }, c.source_repo) : null),
          h('td', {}, isSame ? 'yours' : 'other'),
          cols.map(([k]) => h('td', { class: 'num' }, fmt.value(c[k] ?? (c.hyperparameters || {})[k]))),
          h('td', {}, c.fits_as_written === undefined ? '–' : c.fits_as_written ? 'yes' : 'no'),
          h('td', { class: 'num' }, num(c.score) === null ? '–' : c.score.toFixed(2)));
      })))));
}

/** The compact one-card summary (widget "compact"): the verdict, the bar and the values to train with. */
export function compactCard(r) {
  return h('div', { class: 'card compact' },
    verdict(r),
    vramChart(r, { compact: true }),
    r.fits !== false ? configList(r) : null,
    h('p', { class: 'muted' }, h('span', { class: `badge conf-${(r.confidence || {}).level}` }, `${(r.confidence || {}).level || '?'} confidence`),
      (r.warnings || []).length ? ` · ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}` : ''));
}

/**
 * The learning brain's decision for strategy "auto" (response.strategy_decision):
 * what ran, why, and the feedback counts behind it, per strategy.
 */
export function brainSection(r) {
  const d = r.strategy_decision;
  if (!d) return null;
  const ctx = d.context || {};
  const ev = d.evidence;
  const rows = ev ? Object.entries(ev).map(([name, e]) => h('tr', { 'data-strategy': name, class: name === d.chosen ? 'chosen' : undefined },
    h('th', { scope: 'row' }, name, name === d.chosen ? [' ', h('span', { class: 'alias' }, '(chosen)')] : null, e.available === false ? [' ', h('span', { class: 'alias' }, '(unavailable)')] : null),
    h('td', { class: 'num' }, String(e.signals ?? 0)),
    h('td', { class: 'num' }, e.ratings ? `${fmt.number(e.mean_rating)} (${e.ratings})` : '–'),
    h('td', { class: 'num' }, `${e.success ?? 0} / ${e.failed ?? 0} / ${e.oom ?? 0}`),
    h('td', { class: 'num' }, e.interactions ? `${fmt.number(e.mean_label)} (${e.interactions})` : '–'),
    h('td', { class: 'num' }, e.score === null || e.score === undefined ? 'not scored' : fmt.number(e.score)))) : [];
  return h('div', { class: 'brain', 'data-applied': String(!!d.applied), 'data-chosen': d.chosen },
    h('p', {}, h('span', { class: `badge ${d.applied ? 'good' : 'conf-medium'}` }, d.applied ? 'learning brain' : 'plain auto'),
      ` ran ${d.chosen}`, d.applied && d.plain_auto && d.plain_auto !== d.chosen ? ` instead of ${d.plain_auto}` : '',
      ` for ${ctx.task_type || '?'} / ${ctx.adapter_type || '?'} / ${ctx.model_size_bucket || '?'} models.`),
    h('p', { class: 'muted brain-reason' }, d.reason || ''),
    ev ? h('div', { class: 'scroll-x' }, h('table', { class: 'brain-evidence' },
      h('caption', {}, `Feedback in your log for this context (a strategy is scored from ${d.min_evidence} signals: ratings, outcomes and uses)`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Strategy'), h('th', { scope: 'col', class: 'num' }, 'Signals'),
        h('th', { scope: 'col', class: 'num' }, 'Rating (n)'), h('th', { scope: 'col', class: 'num' }, 'Success / failed / OOM'),
        h('th', { scope: 'col', class: 'num' }, 'Use label (n)'), h('th', { scope: 'col', class: 'num' }, 'Score'))),
      h('tbody', {}, rows))) : h('p', { class: 'muted' }, 'No feedback was passed with this request.'));
}

/** How the answer was computed, for those who ask: strategy, learned models, profile group. */
export function internalsSection(r) {
  const s = r.strategy || {};
  const p = r.profile || {};
  const rows = [
    ['Strategy', `${s.used || '–'}${s.requested && s.requested !== s.used ? ` (asked for ${s.requested})` : ''}`, s.why || ''],
    s.reranker ? ['Reranker', s.reranker.status || '–', s.reranker.version || ''] : null,
    s.hp_predictor ? ['Predictor', s.hp_predictor.status || '–', s.hp_predictor.version || ''] : null,
    r.model_slot ? ['Model slot', `${r.model_slot} slot, version ${r.model_version || 'unknown'}`, 'web/slots.js'] : null,
    p.group ? ['Profile group', p.group, p.fallback_level && p.fallback_level !== 'exact' ? `fallback ${p.fallback_level}, asked for ${p.requested_group || '?'}` : 'exact'] : null,
    ['Engine', r.engine_version || '–', ''],
  ].filter(Boolean);
  return h('div', { class: 'internals' },
    h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v, why]) => h('tr', {},
      h('th', { scope: 'row' }, k), h('td', { class: 'val', 'data-model-slot': k === 'Model slot' ? r.model_slot : undefined }, v),
      h('td', { class: 'why' }, why))))),
    r.strategy_decision ? h('div', { id: 'sec-brain' }, h('h3', {}, 'Strategy decision'), brainSection(r)) : null);
}

/**
 * Sections of the full view: [{id, title, body}], in page order. A
 * configuration that does not fit shows its memory and, folded, what was tried.
 */
export function sections(r, opts = {}) {
  if (r.fits === false) {
    return [
      { id: 'memory', title: 'Memory per GPU', body: vramChart(r) },
      { id: 'hyperparameters', title: 'What was tried (it does not fit)', body: h('details', { class: 'tried' },
        h('summary', {}, 'The smallest configuration the search tried'), hyperparameterTable(r)) },
      { id: 'warnings', title: 'Warnings and assumptions', body: warningsSection(r) },
    ];
  }
  const out = [
    { id: 'memory', title: 'Memory per GPU', body: vramChart(r) },
    { id: 'time', title: 'Time and cost', body: timeSection(r, opts) },
    { id: 'hyperparameters', title: 'Every setting, and why', body: hyperparameterTable(r) },
    { id: 'confidence', title: 'How sure this is', body: confidenceSection(r) },
    { id: 'warnings', title: 'Warnings and assumptions', body: warningsSection(r) },
    { id: 'dependencies', title: 'Install (pinned versions)', body: dependenciesSection(r, opts) },
  ];
  const cand = candidatesSection(r);
  if (cand) out.splice(out.findIndex((x) => x.id === 'confidence') + 1, 0, { id: 'candidates', title: 'Evidence: published configs', body: cand });
  return out;
}
