// The site: a form that builds a request, the URL that carries it, and the
// rendered answer. The engine runs in a worker (client.js).
import { engineClient, signalsHint } from './client.js';
import { h, fmt, configCard, fitOptions, internalsSection, sections, verdict, verdictSentence } from './render.js';
import { LIMITS, parseSample, tokenStats } from './tokens.js';
import { requestFromQuery, queryFromRequest } from './request.js';
import { ingestUrl, isAutoStrategy, ratingLabel, uploadBody } from './telemetry.js';
import { CONFIG } from './config.js';
import { mountPlanPanel } from './plan.js';

const DEFAULT_REQUEST = { platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', task_type: 'instruction_following', adapter_type: 'qlora' };
const EXPORTS = [
  { format: 'notebook', label: 'Notebook (.ipynb)' },
  { format: 'axolotl', label: 'axolotl YAML' },
  { format: 'llamafactory', label: 'LLaMA-Factory YAML' },
  { format: 'trl', label: 'TRL / HF JSON' },
  { format: 'script', label: 'Python script' },
];

const $ = (sel) => document.querySelector(sel);
const form = $('#request-form');
const results = $('#results');
const client = engineClient();
// The page's engine client, for the browser console and scripts/bench-web.mjs:
// await ftconfigEngine.call('recommend', {...}).
globalThis.ftconfigEngine = client;

let catalog = { platforms: [], gpus: [], tasks: [] };
let status = null;
let exportFormats = new Set(); // filled once the export module answers
let current = null; // {request, text, response, eventId}
// The local log (IndexedDB, in the worker). A test hook can make IndexedDB
// look unavailable (window.ftconfigTestHooks = {noIndexedDB: true}).
const hooks = globalThis.ftconfigTestHooks || {};
let logState = { available: false, reason: 'not checked yet', count: 0 };
const noteSignals = (st) => {
  if (st && st.available) signalsHint.set(!!((st.by_event || {}).feedback || (st.by_event || {}).interaction));
};
const logReady = client.call('logInit', { simulateUnavailable: !!hooks.noIndexedDB })
  .then((st) => { logState = st; noteSignals(st); return st; }, (err) => { logState = { available: false, reason: err.message, count: 0 }; return logState; });
// The first answer is asked for before anything else that needs the engine:
// the worker answers in order, so it is the first thing computed once the
// engine is up (cold start, docs/performance.md); start() renders it. Posted
// after logInit, so the log's options are set when it is logged. When the
// answer cannot depend on the log - a strategy other than auto, or a browser
// whose log holds no feedback (signalsHint) - it is also asked for without
// the log, and shown while the logged one (same text) waits for IndexedDB.
const initialRequest = requestFromUrl() || DEFAULT_REQUEST;
const firstQuick = quickRequest(initialRequest);
const firstAnswer = client.call('recommendLogged', initialRequest);
for (const p of [firstQuick, firstAnswer]) if (p) p.catch(() => {}); // handled by run(); here only to keep them from being "unhandled"
const ready = client.call('init');
let runSerial = 0;
// Loaded after the first answer: plan prices' dates and sources, models'
// vocabulary sizes and modalities (worker "catalogFacts").
let facts = { prices: {}, models: {} };
// Whether the engine takes `data_tokens` (asked once after the first answer).
let dataTokensAccepted = false;
// The dropped data sample: its parsed examples, counted per tokenizer in readForm().
const sample = { examples: null, format: '', skipped: 0 };

// ---- the form -------------------------------------------------------------------
function option(value, label, selected) {
  return h('option', { value, selected: selected || undefined }, label);
}

function fillPlans(platformId, planId) {
  const p = catalog.platforms.find((x) => x.id === platformId) || catalog.platforms[0];
  const plan = $('#plan');
  plan.replaceChildren(...(p ? p.plans : []).map((pl) => {
    const gpu = catalog.gpus.find((g) => g.id === pl.gpu);
    const gpuText = gpu ? `${pl.gpu_count > 1 ? `${pl.gpu_count} × ` : ''}${gpu.name}` : 'your own GPU';
    const price = pl.price_per_gpu_hour_usd === 0 ? 'free' : pl.price_per_gpu_hour_usd ? `$${pl.price_per_gpu_hour_usd}/GPU-h` : '';
    return option(pl.id, `${pl.name}: ${gpuText}${price ? ` · ${price}` : ''}`, pl.id === planId);
  }));
  if (planId && ![...plan.options].some((o) => o.value === planId)) plan.append(option(planId, `${planId} (unknown plan)`, true));
  updatePlanHint();
}

function updatePlanHint() {
  const p = catalog.platforms.find((x) => x.id === $('#platform').value);
  const pl = p && p.plans.find((x) => x.id === $('#plan').value);
  const bits = [];
  if (pl && pl.session_limit_hours) bits.push(`sessions end after ${pl.session_limit_hours} h`);
  if (pl && pl.gpu === '') bits.push('bring your own GPU: choose "A specific GPU"');
  if (pl && pl.price_date) bits.push(`price as of ${pl.price_date}`);
  $('#plan-hint').textContent = bits.join(' · ');
}

function setWhere(where) {
  for (const r of form.querySelectorAll('input[name=where]')) r.checked = r.value === where;
  for (const el of form.querySelectorAll('[data-where]')) el.hidden = el.dataset.where !== where;
}

// LoRA's switch to QLoRA only matters for LoRA.
function setAdapterControls() {
  const adapter = form.querySelector('input[name=adapter]:checked');
  for (const el of form.querySelectorAll('[data-adapter]')) el.hidden = !adapter || el.dataset.adapter !== adapter.value;
}

function setCustom(on) {
  $('#custom').checked = on;
  $('#custom-fields').hidden = !on;
  $('#model').placeholder = on ? 'Name or Hub id (optional)' : 'Search: llama 3 8b, qwen2.5, mistral…';
}

// ---- the data sample (never leaves the browser) -------------------------------
function vocabFor(request) {
  if (request.architecture && request.architecture.vocab_size) return request.architecture.vocab_size;
  const m = facts.models[request.model];
  return m ? m.vocab_size : null;
}

function countSample(request) {
  return sample.examples ? tokenStats(sample.examples, vocabFor(request)) : null;
}

function describeSample(request) {
  const st = countSample(request);
  if (!st) return '';
  const t = st.tokens;
  return `${fmt.number(st.examples)} examples (${sample.format}${sample.skipped ? `, ${sample.skipped} unreadable lines skipped` : ''}): ` +
    `about ${fmt.number(t.p50)} tokens typical, ${fmt.number(t.p95)} at the 95th percentile, ${fmt.number(t.max)} longest ` +
    `(≈ ${st.ratio.chars_per_token} characters per token, ${st.ratio.label}).`;
}

async function readSample(file) {
  const input = $('#sample');
  input.removeAttribute('aria-invalid');
  sample.examples = null;
  if (file) {
    try {
      const parsed = parseSample(await readFileText(file));
      if (!tokenStats(parsed.examples, null)) throw new Error('No text was found in the file: expected JSON Lines, chat JSON or plain text.');
      Object.assign(sample, parsed);
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      $('#sample-summary').textContent = `Not used: ${err.message}`;
    }
  }
  $('#sample-clear').hidden = !sample.examples;
  if (sample.examples) $('#sample-summary').textContent = describeSample(readForm());
  else if (!file) $('#sample-summary').textContent = '';
  onFormChange();
}

async function readFileText(file) {
  if (file.size > LIMITS.maxBytes) throw new Error(`the file is ${Math.round(file.size / 1e6)} MB; give a sample under ${Math.round(LIMITS.maxBytes / 1e6)} MB.`);
  return file.text();
}

function startSample() {
  const row = $('#sample-row');
  row.addEventListener('dragover', (e) => { e.preventDefault(); row.classList.add('drop'); });
  row.addEventListener('dragleave', () => row.classList.remove('drop'));
  row.addEventListener('drop', (e) => {
    e.preventDefault();
    row.classList.remove('drop');
    if (e.dataTransfer && e.dataTransfer.files[0]) readSample(e.dataTransfer.files[0]);
  });
  $('#sample-clear').addEventListener('click', () => { $('#sample').value = ''; readSample(null); $('#sample').focus(); });
}

/** The form's request (only what is set). */
function readForm() {
  const r = {};
  const val = (id) => $(id).value.trim();
  const numOrText = (v) => (v !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  if (form.querySelector('input[name=where]:checked').value === 'gpu') {
    if (val('#gpu')) r.gpu_override = val('#gpu');
  } else {
    if (val('#platform')) r.platform = val('#platform');
    if (val('#plan')) r.plan = val('#plan');
  }
  if (val('#num_gpus')) r.num_gpus = numOrText(val('#num_gpus'));
  const model = $('#model').dataset.id && $('#model').dataset.label === $('#model').value ? $('#model').dataset.id : val('#model');
  if ($('#custom').checked) {
    if (model) r.model = model;
    if (val('#params_b')) r.model_params_b = numOrText(val('#params_b'));
    const arch = {};
    for (const input of form.querySelectorAll('[data-arch]')) {
      if (input.value.trim() !== '') arch[input.dataset.arch] = numOrText(input.value.trim());
    }
    if (arch.num_experts > 1) arch.is_moe = true;
    if (Object.keys(arch).length) r.architecture = arch;
  } else if (model) {
    r.model = model;
  }
  if (val('#task')) r.task_type = val('#task');
  const adapter = form.querySelector('input[name=adapter]:checked');
  if (adapter) r.adapter_type = adapter.value;
  if (adapter && adapter.value === 'lora' && !$('#allow_qlora').checked) r.allow_qlora = false;
  if (sample.examples && dataTokensAccepted) {
    const counted = countSample(r);
    if (counted) r.data_tokens = counted.tokens;
  }
  if (val('#dataset_size')) r.dataset_size = numOrText(val('#dataset_size'));
  if (val('#max_seq_length')) r.max_seq_length = numOrText(val('#max_seq_length'));
  if (val('#strategy') && val('#strategy') !== 'auto') r.strategy = val('#strategy');
  if (val('#framework') && val('#framework') !== 'hf-trainer') r.framework = val('#framework');
  return r;
}

/** Shows a request in the form (unknown values are kept so the engine can name them). */
function fillForm(r) {
  const gpu = r.gpu_override || r.gpu;
  setWhere(gpu ? 'gpu' : 'plan');
  const platform = $('#platform');
  if (r.platform && ![...platform.options].some((o) => o.value === r.platform)) platform.append(option(r.platform, `${r.platform} (unknown)`));
  platform.value = r.platform || (gpu ? platform.value : DEFAULT_REQUEST.platform);
  fillPlans(platform.value, r.plan || (gpu ? undefined : DEFAULT_REQUEST.plan));
  const gpuSel = $('#gpu');
  if (gpu && ![...gpuSel.options].some((o) => o.value === gpu)) gpuSel.append(option(gpu, `${gpu} (as typed)`));
  if (gpu) gpuSel.value = gpu;
  $('#num_gpus').value = r.num_gpus ?? '';
  const custom = r.model_params_b !== undefined || r.architecture !== undefined;
  setCustom(custom);
  setModel(r.model || '', null);
  $('#params_b').value = r.model_params_b ?? '';
  for (const input of form.querySelectorAll('[data-arch]')) input.value = (r.architecture || {})[input.dataset.arch] ?? '';
  if (r.architecture) $('#arch-details').open = true;
  const task = $('#task');
  const t = r.task_type || r.task || DEFAULT_REQUEST.task_type;
  if (![...task.options].some((o) => o.value === t)) task.append(option(t, `${t} (as typed)`));
  task.value = t;
  const adapter = String(r.adapter_type || r.adapter || 'lora').toLowerCase();
  for (const a of form.querySelectorAll('input[name=adapter]')) a.checked = a.value === (adapter === 'full' ? 'none' : adapter);
  $('#allow_qlora').checked = r.allow_qlora !== false;
  setAdapterControls();
  $('#dataset_size').value = r.dataset_size ?? '';
  $('#max_seq_length').value = r.max_seq_length ?? '';
  $('#strategy').value = ['auto', 'deterministic', 'hybrid', 'hybrid_ml'].includes(r.strategy) ? r.strategy : 'auto';
  const framework = $('#framework');
  if (r.framework && ![...framework.options].some((o) => o.value === r.framework)) framework.append(option(r.framework, `${r.framework} (as typed)`));
  framework.value = r.framework || 'hf-trainer';
  if ((r.strategy && r.strategy !== 'auto') || (r.framework && r.framework !== 'hf-trainer')) $('#advanced').open = true;
}

// ---- model combobox (ARIA 1.2 combobox + listbox) --------------------------------
const modelInput = $('#model');
const modelList = $('#model-list');
let modelOptions = [];
let activeIndex = -1;
let searchSerial = 0;

function setModel(id, model) {
  modelInput.value = model ? model.id : id;
  modelInput.dataset.id = model ? model.id : id;
  modelInput.dataset.label = modelInput.value;
  $('#model-hint').textContent = model ? describeModel(model) : '';
}

function describeModel(m) {
  const bits = [`${m.name}`, `${fmt.number(m.params_b)}B parameters`];
  if (m.is_moe) bits.push(`MoE: ${m.num_experts} experts, ${m.experts_per_token} per token (all count for memory)`);
  if (m.is_moe && m.experts_linear === false) bits.push('experts are 3-D parameters: 4-bit only with Unsloth\'s checkpoint');
  if (m.max_position_embeddings) bits.push(`context ${fmt.number(m.max_position_embeddings)}`);
  return bits.join(' · ');
}

function closeList() {
  modelList.hidden = true;
  modelInput.setAttribute('aria-expanded', 'false');
  modelInput.removeAttribute('aria-activedescendant');
  activeIndex = -1;
}

function highlight(i) {
  activeIndex = i;
  modelOptions.forEach((el, j) => el.setAttribute('aria-selected', String(j === i)));
  if (i >= 0 && modelOptions[i]) {
    modelInput.setAttribute('aria-activedescendant', modelOptions[i].id);
    modelOptions[i].scrollIntoView({ block: 'nearest' });
  } else {
    modelInput.removeAttribute('aria-activedescendant');
  }
}

async function searchModels() {
  const serial = ++searchSerial;
  const query = modelInput.value.trim();
  let models = [];
  try {
    models = await client.call('models', query, 12);
  } catch {
    return;
  }
  if (serial !== searchSerial) return;
  modelOptions = models.map((m, i) => h('li', {
    id: `model-opt-${i}`, role: 'option', 'aria-selected': 'false', 'data-id': m.id,
    onmousedown: (e) => { e.preventDefault(); choose(m); },
  }, h('span', { class: 'opt-name' }, m.name), h('span', { class: 'opt-meta' }, `${m.id} · ${fmt.number(m.params_b)}B${m.is_moe ? ' MoE' : ''}${m.match === 'closest' ? ' · closest match' : m.match === 'variant' ? ' · the model this name is a variant of' : ''}`)));
  modelList.replaceChildren(...modelOptions);
  if (!models.length) modelList.append(h('li', { class: 'empty', role: 'presentation' }, 'No catalog model matches: tick "Custom model" to give its size.'));
  modelList.hidden = false;
  modelInput.setAttribute('aria-expanded', 'true');
  highlight(-1);
  modelList._models = models;
}

function choose(m) {
  setModel(m.id, m);
  closeList();
  onFormChange();
}

modelInput.addEventListener('input', () => searchModels());
// The list opens when a person comes to the field, not when an error focuses it.
let focusingForError = false;
modelInput.addEventListener('focus', () => { if (!$('#custom').checked && !focusingForError) searchModels(); });
// A press that moves focus out of the field (onto a radio below it) blurs it
// before the click lands: what the blur changes in the layout (the hint
// above the radios) waits until the press ends, so the click stays on the
// control the person pressed.
let pointerPressed = false;
document.addEventListener('pointerdown', () => { pointerPressed = true; }, true);
for (const type of ['pointerup', 'pointercancel']) document.addEventListener(type, () => { pointerPressed = false; }, true);
function afterPress(fn) {
  if (!pointerPressed) { fn(); return; }
  const run = () => {
    document.removeEventListener('pointerup', run, true);
    document.removeEventListener('pointercancel', run, true);
    setTimeout(fn, 0);  // after the click this press makes
  };
  document.addEventListener('pointerup', run, true);
  document.addEventListener('pointercancel', run, true);
}

modelInput.addEventListener('blur', () => {
  closeList();
  // A typed name that was not picked is sent as typed: the engine resolves
  // aliases or names the closest models.
  afterPress(() => {
    if (modelInput.value === modelInput.dataset.label) return;
    modelInput.dataset.id = modelInput.value.trim();
    modelInput.dataset.label = modelInput.value;
    $('#model-hint').textContent = '';
    onFormChange();
  });
});
modelInput.addEventListener('keydown', (e) => {
  const open = !modelList.hidden;
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    if (!open) { searchModels(); return; }
    highlight(Math.min(modelOptions.length - 1, activeIndex + 1));
  } else if (e.key === 'ArrowUp') {
    e.preventDefault();
    if (open) highlight(Math.max(0, activeIndex - 1));
  } else if (e.key === 'Enter' && open && activeIndex >= 0) {
    e.preventDefault();
    choose(modelList._models[activeIndex]);
  } else if (e.key === 'Escape' && open) {
    e.preventDefault();
    closeList();
  }
});

// ---- running and rendering ------------------------------------------------------
function clearFieldErrors() {
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== 'field-error');
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' ')); else el.removeAttribute('aria-describedby');
  }
  const old = $('#field-error');
  if (old) old.remove();
}

const FIELD_CONTROLS = {
  platform: '#platform', plan: '#plan', gpu_override: '#gpu', gpu: '#gpu', num_gpus: '#num_gpus', model: '#model',
  model_params_b: '#params_b', task_type: '#task', task: '#task', adapter_type: 'input[name=adapter]:checked',
  dataset_size: '#dataset_size', max_seq_length: '#max_seq_length', strategy: '#strategy', data_tokens: '#sample',
  framework: '#framework',
};

function controlFor(field) {
  if (!field) return null;
  if (field.startsWith('architecture.')) return document.getElementById(`arch-${field.slice(13)}`);
  if (field.startsWith('data_tokens')) return $('#sample');
  return FIELD_CONTROLS[field] ? form.querySelector(FIELD_CONTROLS[field]) : null;
}

const labelOf = (control) => (control && control.labels && control.labels[0] ? control.labels[0].textContent.trim() : '');

// The engine's message in the form's words: request field names become the
// labels on screen, and advice meant for the command line is left out.
function plainMessage(err) {
  let text = String(err.message || '');
  for (const field of Object.keys(FIELD_CONTROLS)) {
    const label = labelOf(controlFor(field));
    // Quoted names always (with the gloss the engine adds for the command line: the label says it);
    // bare ones only when they are identifiers (num_gpus, not "model").
    const quoted = `"${field}"(?: \\([^)]*\\))?`;
    if (label) text = text.replace(new RegExp(field.includes('_') ? `${quoted}|\\b${field}\\b` : quoted, 'g'), `"${label}"`);
  }
  text = text.replace(/"architecture\.(\w+)"|\barchitecture\.(\w+)/g, (m, a, b) => `"${a || b}" (architecture)`);
  return text.split(/(?<=[.;])\s+/).filter((x) => !/`|\bftconfig \w|--[a-z]/.test(x)).join(' ').replace(/;$/, '.') || text;
}

function showError(err, request) {
  results.dataset.state = 'error';
  results.dataset.error = err.message;
  results.removeAttribute('data-result');
  results.setAttribute('aria-busy', 'false');
  stickySummary(null);
  const control = controlFor(err.field);
  const label = labelOf(control) || err.field;
  const message = plainMessage(err);
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    const note = h('p', { class: 'field-error', id: 'field-error' }, message);
    (control.closest('.row') || control.parentElement).append(note);
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), 'field-error'].filter(Boolean).join(' '));
    if (document.activeElement !== control && control.offsetParent !== null) {
      focusingForError = true;
      control.focus();
      focusingForError = false;
    }
  }
  results.replaceChildren(h('div', { class: 'error-box', role: 'alert' },
    h('h2', {}, 'This request cannot be answered'),
    h('p', { class: 'error-message' }, message),
    control ? h('button', { type: 'button', onclick: () => control.focus() }, `Go to ${label || 'the field'}`) : null,
    h('details', {}, h('summary', {}, 'Details'), h('p', { class: 'muted' }, `Engine message: ${err.message} (code ${err.code}${err.field ? `, field ${err.field}` : ''})`),
      h('pre', { tabindex: '0' }, JSON.stringify(request, null, 2)))));
}

// `pending`: the answer already asked for (the first one, see start()).
// The page's first answer without the log (see firstQuick), or null when the
// log can change it. The worker's "recommend" logs nothing; auto gets the
// evidence the log would give it: none.
function quickRequest(request) {
  if (!isAutoStrategy(request)) return client.call('recommend', request);
  if (signalsHint.mayExist()) return null;
  return client.call('recommend', { ...request, evidence: { strategies: {} } });
}

// `pending`: the first answer's logged call; `quick`: its answer without the
// log, shown first (its feedback section waits for the logged one).
async function run(request, pending = null, quick = null) {
  const serial = ++runSerial;
  results.dataset.state = 'loading';
  results.setAttribute('aria-busy', 'true');
  clearFieldErrors();
  try {
    if (quick) {
      const text = await quick;
      if (serial !== runSerial) return;
      current = { request, text, response: JSON.parse(text), eventId: null, logPending: true };
      render(current);
    }
    if (!pending) await ready; // a pending answer is the engine's first: it needs no other sign of life
    await logReady;
    const { text, event_id: eventId } = await (pending || client.call('recommendLogged', request));
    if (serial !== runSerial) return;
    if (current && current.logPending && current.request === request && current.text === text) {
      current.eventId = eventId;
      current.logPending = false;
      const section = results.querySelector('#sec-feedback');
      if (section) section.replaceChildren(section.firstElementChild, feedbackSection(current));
    } else {
      current = { request, text, response: JSON.parse(text), eventId };
      render(current);
    }
    if (eventId) logChanged();
  } catch (err) {
    if (serial !== runSerial) return;
    current = null;
    showError(err, request);
  }
}

async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`Copied ${what}`);
  } catch {
    const area = h('textarea', { class: 'sr-only', readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand && document.execCommand('copy');
    area.remove();
    toast(ok ? `Copied ${what}` : 'Copy is blocked here: select the text instead');
  }
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

let toastTimer = 0;
function toast(message) {
  let el = $('#toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(el);
  }
  el.textContent = message;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 2200);
}

// What the user does with a recommendation is an interaction of the log:
// copying or downloading it is using it (label 1.0, docs/telemetry.md).
function interaction(what, via) {
  const c = current;
  if (!c || !c.eventId || !logState.available) return;
  client.call('logInteraction', c.eventId, what, via).then(() => logChanged(), () => {});
}

// "llama-3.1-8b-qlora-t4": model, method and GPU, for file names.
function fileStem(r) {
  const slug = (x) => String(x || '').split('/').pop().toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  const hp = r.hyperparameters || {};
  const g = r.gpu || {};
  const method = { none: 'full', lora: 'lora', qlora: 'qlora' }[hp.adapter_type] || slug(hp.adapter_type);
  const model = slug((r.request || {}).model) || (r.request && r.request.model_params_b ? `${r.request.model_params_b}b` : 'model');
  return [model, method, `${g.count > 1 ? `${g.count}x` : ''}${slug(g.id || g.name)}`].filter(Boolean).join('-');
}

// The engine's file name ("axolotl.yaml", "finetune.ipynb") with the stem in front.
function downloadName(r, filename) {
  const ext = /\.[a-z0-9]+$/i.exec(filename || '');
  const kind = String(filename || '').replace(/\.[a-z0-9]+$/i, '').toLowerCase().replace(/^ftconfig[-_]?/, '').replace(/[^a-z0-9]+/g, '-');
  return `${fileStem(r)}${kind && !/^(finetune|train|config|notebook)$/.test(kind) ? `-${kind}` : ''}${ext ? ext[0] : ''}`;
}

async function exportFile(format) {
  if (!current) return;
  try {
    const file = await client.call('exportConfig', current.request, format, current.eventId);
    const name = downloadName(current.response, file.filename);
    download(name, file.text, 'text/plain');
    interaction('downloaded', `export:${format}`);
    toast(`Downloaded ${name}`);
  } catch (err) {
    toast(`Export failed: ${err.message}`);
  }
}

function downloadsBar(c) {
  return h('div', { class: 'result-actions' },
    h('div', { class: 'group exports', role: 'group', 'aria-label': 'Download the configuration' },
      EXPORTS.map((e) => {
        const enabled = exportFormats.has(e.format);
        return h('button', {
          type: 'button', 'data-export': e.format, disabled: !enabled,
          title: enabled ? `Download the ${e.label}` : 'Loading the exports…',
          onclick: () => exportFile(e.format),
        }, e.label);
      }),
      h('button', { type: 'button', id: 'download-json', onclick: () => { download(`${fileStem(c.response)}.json`, JSON.stringify(c.response, null, 2) + '\n', 'application/json'); interaction('downloaded', 'download_json'); } }, 'Response JSON')),
    h('div', { class: 'group', role: 'group', 'aria-label': 'Share' },
      h('button', { type: 'button', onclick: () => copyText(location.href, 'the link') }, 'Copy link')),
    h('a', { class: 'edit-link', href: '#request-form', onclick: (e) => { e.preventDefault(); form.scrollIntoView(); form.querySelector('select, input').focus({ preventScroll: true }); } }, 'Change the request ↓'));
}

// A request with `patch` applied: null removes a field. A patch that names a
// plan means that plan's GPU: a GPU the request named goes.
function patched(request, patch) {
  const out = { ...request };
  if (patch && 'plan' in patch && !('gpu_override' in patch)) delete out.gpu_override;
  for (const [k, v] of Object.entries(patch || {})) {
    if (v === null || v === undefined) delete out[k]; else out[k] = v;
  }
  return out;
}

// Platform ids as people know them ("vastai" -> "Vast.ai").
const NAMES = { platformName: (id) => (catalog.platforms.find((p) => p.id === id) || { name: id }).name };

/**
 * What would fit, as buttons that make it the request. Without the engine's
 * own options, the fallback ones are checked here first (probeOptions): only
 * those whose answer fits are offered.
 */
function fitOptionsBar(c) {
  const bar = h('div', { class: 'fit-plan', 'data-probed': 'false' }, h('h2', {}, 'What would fit'),
    h('p', { class: 'muted fit-status' }, 'Looking for what would fit…'));
  const show = (options) => {
    if (current !== c) return;
    bar.dataset.probed = 'true';
    bar.replaceChildren(bar.firstElementChild, options.length
      ? h('ul', { class: 'fit-options' }, options.map((o) => h('li', {}, h('button', {
        type: 'button', class: 'fit-option', 'data-kind': o.kind || '',
        onclick: () => applyRequest(patched(c.request, o.request_patch)),
      }, o.label))))
      : h('p', { class: 'fit-none' }, 'No single catalog GPU fits this, even with QLoRA: try a smaller model.'));
  };
  const given = (c.response.does_not_fit || {}).options;
  if (Array.isArray(given) && given.length) show(fitOptions(c.response, NAMES));
  else probeOptions(c).then(show, () => show(fitOptions(c.response, NAMES)));
  return bar;
}

// The fallback options, each asked of the engine: the smallest GPU that fits
// (the engine's own answer), and QLoRA - on this GPU when that fits, else on
// the smallest GPU that fits it.
async function probeOptions(c) {
  const out = fitOptions(c.response, NAMES).filter((o) => o.kind !== 'qlora');
  const method = (c.response.hyperparameters || {}).adapter_type || c.request.adapter_type;
  if (method === 'qlora') return out;
  const q = JSON.parse(await client.call('recommend', patched(c.request, { adapter_type: 'qlora', allow_qlora: null })));
  if (q.fits) return [{ kind: 'qlora', label: `QLoRA (4-bit base) on ${q.gpu.name}`, request_patch: { adapter_type: 'qlora', allow_qlora: null } }, ...out];
  const gpu = fitOptions(q, NAMES).find((o) => o.kind === 'gpu');
  if (gpu) out.push({ kind: 'qlora', label: `QLoRA (4-bit base) on ${gpu.label.replace(/^Use /, '')}`, request_patch: { ...gpu.request_patch, adapter_type: 'qlora', allow_qlora: null } });
  return out;
}

function applyRequest(request) {
  fillForm(request);
  syncUrl(request);
  run(request).then(() => revealVerdict());
}

// ---- feedback on the recommendation shown --------------------------------------------
function feedbackSection(c) {
  if (c.logPending) return h('p', { class: 'muted', id: 'feedback-pending' }, 'Saving this recommendation to your log…');
  if (!logState.available) {
    return h('p', { class: 'muted', id: 'feedback-off' }, `Logging is off in this browser (${logState.reason}), so feedback cannot be kept. The recommendation is not affected.`);
  }
  if (!c.eventId) return h('p', { class: 'muted' }, 'This recommendation was not logged, so it cannot take feedback.');
  const status = h('p', { class: 'fb-status', id: 'fb-status', role: 'status' });
  const radios = (name, items) => items.map(([value, label]) => h('label', {}, h('input', { type: 'radio', name, value }), ` ${label}`));
  const say = (text) => { status.textContent = text; };
  const act = (what, done) => async () => {
    try {
      await client.call('logInteraction', c.eventId, what, 'feedback_panel');
      say(done);
      logChanged();
    } catch (err) {
      say(`Not saved: ${err.message}`);
    }
  };
  const form = h('form', { class: 'feedback', id: 'feedback-form', 'aria-describedby': 'fb-help', novalidate: true },
    h('p', { class: 'muted', id: 'fb-help' }, 'Stored in your log with this recommendation. Ratings and outcomes teach "auto" which strategy to use for this kind of model.'),
    h('fieldset', {}, h('legend', {}, 'Rating'), h('div', { class: 'segmented' },
      radios('fb-rating', [['1', '1 · poor'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', '5 · great']]))),
    h('fieldset', {}, h('legend', {}, 'If you ran it, how did it go?'), h('div', { class: 'segmented' },
      radios('fb-outcome', [['success', 'it worked'], ['failed', 'it failed'], ['oom', 'out of memory (OOM)']]))),
    h('div', { class: 'row' }, h('label', { for: 'fb-notes' }, 'Notes (optional)'),
      h('textarea', { id: 'fb-notes', name: 'fb-notes', maxlength: '2000', rows: '3' })),
    h('div', { class: 'actions wrap' },
      h('button', { type: 'submit', class: 'primary', id: 'fb-submit' }, 'Save feedback'),
      h('button', { type: 'button', id: 'fb-save', onclick: act('saved', 'Saved to your log (label 0.8).') }, 'Save this config'),
      h('button', { type: 'button', id: 'fb-dismiss', onclick: act('dismissed', 'Marked as not useful (label 0).') }, 'Not useful')),
    status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const picked = (name) => { const el = form.querySelector(`input[name=${name}]:checked`); return el ? el.value : null; };
    const rating = picked('fb-rating') === null ? null : Number(picked('fb-rating'));
    const outcome = picked('fb-outcome');
    const notes = form.querySelector('#fb-notes').value;
    try {
      await client.call('logFeedback', c.eventId, { rating, outcome, notes: notes.trim() ? notes : null });
      say(`Feedback saved${rating ? ` (rating ${rating}: label ${ratingLabel(rating)})` : ''}. It counts for "auto" from your next request for this kind of model.`);
      logChanged();
    } catch (err) {
      say(`Not saved: ${err.message}`);
      const first = err.field === 'notes' ? form.querySelector('#fb-notes') : form.querySelector('input[name=fb-rating]');
      if (first) first.focus();
    }
  });
  return form;
}

function render(c) {
  const r = c.response;
  const parts = sections(r, { onCopy: copyText, priceInfo });
  const fits = r.fits !== false;
  results.replaceChildren(...[
    verdict(r),
    taskWarning(r),
    fits ? configCard(r, downloadsBar(c)) : fitOptionsBar(c),
    ...parts.map((s) => h('section', { id: `sec-${s.id}`, class: 'result-section', 'aria-labelledby': `h-${s.id}` },
      h('h2', { id: `h-${s.id}` }, s.title), s.body)),
    h('details', { class: 'result-section more', id: 'sec-internals' }, h('summary', {}, 'How this was computed (strategy, learned models)'),
      internalsSection(r), h('details', { class: 'raw' }, h('summary', {}, 'Response JSON'),
        h('button', { type: 'button', class: 'small', onclick: () => { copyText(c.text, 'the response JSON'); interaction('copied', 'copy_json'); } }, 'Copy JSON'),
        h('pre', { tabindex: '0' }, JSON.stringify(r, null, 2)))),
    h('details', { class: 'result-section more', id: 'sec-feedback' }, h('summary', {}, 'Rate this recommendation'), feedbackSection(c)),
  ].filter(Boolean));
  results.dataset.result = c.text;
  results.removeAttribute('data-error');
  results.setAttribute('aria-busy', 'false');
  results.dataset.state = 'ready';
  stickySummary(r);
}

// ---- keeping the verdict in view ----------------------------------------------
// On a phone the form sits under the answer: a bar fixed to the bottom of the
// screen repeats the verdict whenever the verdict itself is out of view, and
// brings it back on a tap. Enter in the form scrolls to it (revealVerdict).
const sticky = $('#sticky-summary');
let verdictVisible = true;
const verdictObserver = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
  for (const e of entries) verdictVisible = e.isIntersecting;
  updateSticky();
}) : null;

function updateSticky() {
  sticky.hidden = verdictVisible || !sticky.dataset.text;
}

function stickySummary(r) {
  if (verdictObserver) verdictObserver.disconnect();
  sticky.dataset.text = r ? verdictSentence(r) : '';
  sticky.dataset.kind = !r ? '' : r.fits === false ? 'bad' : 'good';
  $('#sticky-text').textContent = sticky.dataset.text;
  const v = results.querySelector('.verdict');
  if (v && verdictObserver) verdictObserver.observe(v); else verdictVisible = true;
  updateSticky();
}

function revealVerdict() {
  const v = results.querySelector('.verdict') || results;
  const box = v.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) {
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    v.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  }
  v.focus({ preventScroll: true });
}

$('#sticky-show').addEventListener('click', revealVerdict);

// ---- my log: list, export, delete, opt-in upload ------------------------------------------
const LS = { url: 'ftconfig.collector.url', token: 'ftconfig.collector.token', optin: 'ftconfig.upload.optin' };
const store = {
  get: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  set: (k, v) => { try { if (v === null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch { /* storage off */ } },
};
const urlInput = $('#collector-url');
const tokenInput = $('#collector-token');
const rememberBox = $('#remember-token');
const optinBox = $('#upload-optin');
const uploadButton = $('#upload-now');
const uploadStatus = $('#upload-status');
let logEvents = [];

function describeEvent(e) {
  if (e.event === 'recommendation') {
    const r = e.request || {};
    const g = (e.response && e.response.gpu) || {};
    const st = (e.response && e.response.strategy) || {};
    return `${r.model || (e.response && e.response.request && e.response.request.model) || 'model'} on ${g.name || r.gpu_override || r.gpu || `${r.platform || ''} ${r.plan || ''}`.trim() || 'GPU'} · ${st.used || e.strategy || ''}`;
  }
  if (e.event === 'feedback') {
    return [e.rating ? `rating ${e.rating}` : null, e.outcome, e.notes ? `“${e.notes.slice(0, 80)}”` : null].filter(Boolean).join(' · ');
  }
  if (e.event === 'interaction') return `${e.action}${e.via ? ` (${e.via})` : ''}${e.rating ? ` ${e.rating}` : ''} · label ${e.label}`;
  return e.event;
}

function pendingUpload() {
  return logEvents.filter((e) => !e._uploaded_at);
}

function uploadReady() {
  return logState.available && optinBox.checked && urlInput.value.trim() !== '' && tokenInput.value.trim() !== '';
}

function renderUploadState() {
  let target = 'the collector\'s /v1/events';
  try { if (urlInput.value.trim()) target = ingestUrl(urlInput.value); } catch { /* shown on upload */ }
  $('#upload-target').textContent = target;
  uploadButton.disabled = !uploadReady();
  if (optinBox.checked && !uploadReady() && logState.available && !uploading) {
    uploadStatus.dataset.state = 'waiting';
    uploadStatus.textContent = `Upload is on, but needs ${urlInput.value.trim() ? '' : 'a collector URL'}${!urlInput.value.trim() && !tokenInput.value.trim() ? ' and ' : ''}${tokenInput.value.trim() ? '' : 'your token (not remembered in this browser)'} before anything is sent.`;
  } else if (uploadStatus.dataset.state === 'waiting') {
    uploadStatus.textContent = '';
    delete uploadStatus.dataset.state;
  }
  const pending = pendingUpload();
  const body = pending.length ? JSON.stringify(JSON.parse(uploadBody(pending.slice(0, 500))), null, 2) : '(nothing new to send)';
  $('#upload-preview').textContent = body.length > 20000 ? `${body.slice(0, 20000)}\n…` : body;
}

async function refreshLog() {
  const st = await logReady;
  const statusEl = $('#log-status');
  if (!st.available) {
    statusEl.dataset.logging = 'off';
    statusEl.textContent = `Logging is off: ${st.reason}. This happens in private windows or when the browser blocks site storage. Recommendations work as usual; feedback and the log are unavailable.`;
    for (const id of ['#log-export', '#log-delete', '#log-refresh']) $(id).disabled = true;
    optinBox.disabled = true;
    renderUploadState();
    return;
  }
  try {
    logEvents = await client.call('logList');
  } catch (err) {
    statusEl.textContent = `The log could not be read: ${err.message}`;
    return;
  }
  const by = {};
  for (const e of logEvents) by[e.event] = (by[e.event] || 0) + 1;
  noteSignals({ available: true, by_event: by });
  statusEl.dataset.logging = 'on';
  statusEl.dataset.count = String(logEvents.length);
  statusEl.textContent = `Logging is on: ${logEvents.length} event${logEvents.length === 1 ? '' : 's'} in this browser` +
    (logEvents.length ? ` (${Object.entries(by).map(([k, n]) => `${n} ${k}`).join(', ')}; ${pendingUpload().length} not uploaded).` : '.');
  const newest = [...logEvents].reverse().slice(0, 50);
  $('#log-table tbody').replaceChildren(...newest.map((e) => h('tr', { 'data-event': e.event, 'data-id': e.event_id },
    h('td', {}, fmt.time(e.timestamp)), h('td', {}, e.event), h('td', { class: 'what' }, describeEvent(e)),
    h('td', {}, e._uploaded_at ? 'yes' : 'no'))));
  if (logEvents.length > newest.length) $('#log-table tbody').append(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, `… and ${logEvents.length - newest.length} older (all are in the export).`)));
  renderUploadState();
}

let logTimer = 0;
let uploadTimer = 0;
function logChanged() {
  clearTimeout(logTimer);
  logTimer = setTimeout(() => refreshLog().catch(() => {}), 50);
  if (uploadReady()) {
    clearTimeout(uploadTimer);
    uploadTimer = setTimeout(() => uploadNow().catch(() => {}), 400);
  }
}

let uploading = false;
async function uploadNow() {
  if (uploading || !uploadReady()) return;
  uploading = true;
  const say = (text, state) => { uploadStatus.textContent = text; uploadStatus.dataset.state = state; };
  try {
    let url;
    try {
      url = ingestUrl(urlInput.value);
    } catch (err) {
      say(`Not uploaded: "${urlInput.value}" is not an http(s) URL.`, 'error');
      return;
    }
    await refreshLog();
    const pending = pendingUpload();
    if (!pending.length) { say('Nothing new to upload.', 'done'); return; }
    say(`Uploading ${pending.length} events…`, 'busy');
    let accepted = 0, duplicates = 0, rejected = 0;
    for (let i = 0; i < pending.length; i += 500) {
      const batch = pending.slice(i, i + 500);
      let res;
      try {
        res = await fetch(url, {
          method: 'POST', mode: 'cors', credentials: 'omit', cache: 'no-store',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokenInput.value.trim()}` },
          body: uploadBody(batch),
        });
      } catch {
        say(`Not uploaded: ${url} cannot be reached from this page (is the collector running, and started with --allow-origin ${location.origin}?).`, 'error');
        return;
      }
      const body = await res.json().catch(() => null);
      if (!(res.status === 200 || (res.status === 400 && body && Array.isArray(body.results)))) {
        const why = res.status === 401 ? 'the collector refused the token' : res.status === 429 ? `rate limited, retry in ${res.headers.get('Retry-After') || 'a few'} s`
          : (body && body.error && body.error.message) || `HTTP ${res.status}`;
        say(`Not uploaded: ${why}.`, 'error');
        return;
      }
      const done = body.results.filter((r) => r.status === 'accepted' || r.status === 'duplicate').map((r) => r.event_id);
      accepted += body.accepted || 0;
      duplicates += body.duplicates || 0;
      rejected += body.rejected || 0;
      await client.call('logMarkUploaded', done);
    }
    say(`Uploaded to ${url}: ${accepted} new, ${duplicates} already there${rejected ? `, ${rejected} rejected (kept here)` : ''}.`, 'done');
  } finally {
    uploading = false;
    await refreshLog().catch(() => {});
  }
}

function saveUploadSettings() {
  store.set(LS.url, urlInput.value.trim() || null);
  store.set(LS.optin, optinBox.checked ? '1' : null);
  store.set(LS.token, rememberBox.checked && tokenInput.value.trim() ? tokenInput.value.trim() : null);
  renderUploadState();
}

function startLogPanel() {
  urlInput.value = store.get(LS.url) || CONFIG.collectorUrl || '';
  const token = store.get(LS.token);
  if (token) { tokenInput.value = token; rememberBox.checked = true; }
  optinBox.checked = store.get(LS.optin) === '1'; // off by default
  if (urlInput.value || optinBox.checked) $('#upload').open = true;
  for (const el of [urlInput, tokenInput, rememberBox]) el.addEventListener('change', saveUploadSettings);
  for (const el of [urlInput, tokenInput]) el.addEventListener('input', () => renderUploadState());
  optinBox.addEventListener('change', () => {
    saveUploadSettings();
    if (optinBox.checked) uploadNow().catch(() => {});
    else uploadStatus.textContent = 'Uploads are off.';
  });
  uploadButton.addEventListener('click', () => uploadNow().catch(() => {}));
  $('#log-refresh').addEventListener('click', () => refreshLog());
  $('#log-export').addEventListener('click', async () => {
    try {
      const text = await client.call('logExport');
      download('ftconfig-log.jsonl', text, 'application/x-ndjson');
      toast(`Exported ${text ? text.trimEnd().split('\n').length : 0} events`);
    } catch (err) {
      toast(`Export failed: ${err.message}`);
    }
  });
  const del = $('#log-delete');
  let armed = 0;
  del.addEventListener('click', async () => {
    if (!armed) {
      del.textContent = `Really delete all ${logEvents.length} events? Click again`;
      armed = setTimeout(() => { armed = 0; del.textContent = 'Delete all'; }, 6000);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    del.textContent = 'Delete all';
    const n = await client.call('logClear');
    toast(`Deleted ${n} events`);
    await refreshLog();
  });
  refreshLog().catch(() => {});
}

// ---- URL <-> form ----------------------------------------------------------------
function requestFromUrl() {
  const q = location.search.length > 1 ? location.search : location.hash;
  const r = requestFromQuery(q);
  return Object.keys(r).length ? r : null;
}

function syncUrl(request) {
  const query = queryFromRequest(request);
  const url = `${location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
}

let changeTimer = 0;
function onFormChange() {
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => {
    const request = readForm();
    if (sample.examples) $('#sample-summary').textContent = describeSample(request);
    syncUrl(request);
    run(request);
  }, 60);
}

form.addEventListener('change', (e) => {
  if (e.target === modelInput) return; // handled on pick / blur
  if (e.target.name === 'where') setWhere(e.target.value);
  if (e.target.id === 'custom') setCustom(e.target.checked);
  if (e.target.id === 'platform') fillPlans(e.target.value);
  if (e.target.id === 'plan') updatePlanHint();
  if (e.target.name === 'adapter') setAdapterControls();
  if (e.target.id === 'sample') { readSample(e.target.files[0]); return; }
  onFormChange();
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  // Enter in a field also fires its change event: one run, not two.
  clearTimeout(changeTimer);
  closeList();
  if (modelInput.value !== modelInput.dataset.label) {
    modelInput.dataset.id = modelInput.value.trim();
    modelInput.dataset.label = modelInput.value;
  }
  const request = readForm();
  syncUrl(request);
  run(request).then(() => revealVerdict());
});
$('#reset').addEventListener('click', () => {
  fillForm(DEFAULT_REQUEST);
  history.replaceState(null, '', location.pathname);
  run(DEFAULT_REQUEST);
});
window.addEventListener('popstate', () => {
  const r = requestFromUrl() || DEFAULT_REQUEST;
  fillForm(r);
  run(r);
});

// ---- start -----------------------------------------------------------------------
async function start() {
  // Rendered as soon as it comes back; the form's lists are filled after. A
  // newer request (the form, the back button) that gets there first wins:
  // run() drops the stale answer.
  const firstRun = run(initialRequest, firstAnswer, firstQuick);
  try {
    status = await ready;
    const [platforms, gpus, tasks] = await Promise.all([client.call('platforms'), client.call('gpus'), client.call('tasks')]);
    catalog = { platforms, gpus, tasks };
  } catch (err) {
    runSerial++; // whatever run() is waiting for is moot now
    results.dataset.state = 'error';
    results.dataset.error = err.message;
    results.setAttribute('aria-busy', 'false');
    results.replaceChildren(h('div', { class: 'error-box', role: 'alert' }, h('h2', {}, 'The engine did not start'), h('p', { class: 'error-message' }, err.message)));
    return;
  }
  $('#platform').replaceChildren(...catalog.platforms.map((p) => option(p.id, p.name)));
  $('#gpu').replaceChildren(...catalog.gpus.map((g) => option(g.id, `${g.name} · ${fmt.gb(g.usable_vram_gb)} usable${g.bf16 ? '' : ' · no bf16'}`)));
  $('#task').replaceChildren(...catalog.tasks.map((t) => option(t.id, t.label)));
  fillForm(initialRequest);
  if (initialRequest.model) {
    client.call('models', initialRequest.model, 1).then(([m]) => {
      if (m && m.match === 'exact' && !$('#custom').checked && modelInput.dataset.id === initialRequest.model) setModel(m.id, m);
    }, () => {});
  }
  const snap = status.snapshot || {};
  const t = status.timings || {};
  $('#versions').textContent = `engine ${status.engine_version} · data ${snap.corpus_build_id || snap.id || '?'}${snap.corpus_build_date ? ` (${snap.corpus_build_date})` : ''} · ${status.corpus ? status.corpus.rows_accepted : '?'} configs · started in ${Math.round(t.total_ms || 0)} ms (load ${Math.round(t.load_ms || 0)} ms)`;
  await firstRun;
  loadFacts();
  // Load the export module after the first answer, off the critical path.
  client.call('exportFormats').then((formats) => {
    exportFormats = new Set(formats.map((f) => f.format));
    for (const b of results.querySelectorAll('button[data-export]')) {
      const ok = exportFormats.has(b.dataset.export);
      b.disabled = !ok;
      if (ok) b.title = `Download the ${b.textContent}`;
    }
  }, () => {});
}

// After the first answer: catalog facts (prices' dates and sources, models'
// vocabularies) and whether this engine takes data_tokens (the sample row
// appears only then: a control the engine ignores is not shown).
function loadFacts() {
  client.call('catalogFacts').then((f) => {
    facts = f;
    if (current) render(current);
  }, () => {});
  client.call('recommend', { gpu_override: 't4', model: 'llama2-7b', data_tokens: { p50: 100, p95: 200, max: 300 } }).then(() => {
    dataTokensAccepted = true;
    $('#sample-row').hidden = false;
  }, () => {});
}

function priceInfo(r) {
  const req = r.request || {};
  return req.platform && req.plan ? facts.prices[`${req.platform}/${req.plan}`] || null : null;
}

// A vision-language task on a model that takes no images.
function taskWarning(r) {
  const req = r.request || {};
  const m = facts.models[req.model];
  if (req.task_type !== 'vision_language' || !m || m.multimodal) return null;
  return h('p', { class: 'task-warning', role: 'note' }, `${req.model} reads text only: a vision-language task needs a model that takes images (for example google/gemma-3-4b-it). These values are for text-only training.`);
}

startLogPanel();
startSample();
start();
// The plan view: the form's request under a budget; an option opens its recommendation above.
mountPlanPanel($('#plan-panel'), {
  plan: (request) => client.call('plan', request),
  currentRequest: readForm,
  open: (option, planned) => {
    const { constraints, ...request } = planned;
    applyRequest(patched(request, option.request_patch));
  },
});

// Offline after the first visit.
if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  window.addEventListener('load', () => navigator.serviceWorker.register('sw.js').catch(() => {}));
}

