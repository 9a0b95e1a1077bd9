// The engine's Web Worker: the page never blocks on WebAssembly. One engine
// per worker, created on the first message; requests are answered in order.
//
// Message in:  {id, method, args}
// Message out: {id, ok: true, value} | {id, ok: false, error: {code, field, message}}
// "recommend" answers the response's JSON text (the page parses it and keeps
// the text for data-result); "recommendLogged" also logs it in IndexedDB and
// passes the learning brain its evidence; "log*" read and write the log;
// "bench" times warm recommendations here, inside the worker
// (scripts/bench-web.mjs).
import { createEngine, FtconfigError } from './api.js';
import { fetchManifest, resolveServing, tagResponse } from './slots.js';
import {
  EventLog, evidenceFromEvents, feedbackEvent, hasSignals, interactionEvent, isAutoStrategy, recommendationEvent, toJsonl,
} from './telemetry.js';

let enginePromise = null;
// Model slot (web/slots.js): the page sends {clientId, override} first
// ("configure"); `serving` is {slot, version, reason} once the engine exists.
let slotConfig = null;
let serving = null;

// Started when the worker starts, before the page has said which model slot to
// serve (the cold start, docs/performance.md): the module and the data
// snapshot are fetched and compiled at once, and the production engine - what
// nearly every visitor is served - is built from them right away. A client the
// manifest puts on the canary gets a second engine built with the canary's
// artifacts; the production one is then dropped. A failure here is not
// reported: the engine is then created again on demand, which reports it.
//
// scripts/build-site.mjs bundles this file with its imports into one script,
// so these fetches start as soon as the worker runs (one request, not a chain
// of module imports).
//
// The start-up steps, each the first time it happens, as wall-clock ms
// (performance.timeOrigin + now(): a page subtracts its own timeOrigin), for
// the "timeline" method (scripts/bench-web.mjs reports them).
const timeline = {};
const mark = (step) => {
  if (!(step in timeline)) timeline[step] = performance.timeOrigin + performance.now();
};
mark('worker_started');
const base = new URL('.', import.meta.url);
const early = {
  manifest: fetchManifest(base), // which model slot to serve: tiny, needed before the first answer
  module: (typeof WebAssembly.compileStreaming === 'function'
    ? WebAssembly.compileStreaming(fetch(new URL('ftconfig-wasm.wasm', base))).catch(() => null)
    : Promise.resolve(null)).finally(() => mark('module_compiled')),
  data: fetch(new URL('ftconfig-data.json', base)).then((r) => (r.ok ? r.json() : null)).catch(() => null)
    .finally(() => mark('data_fetched')),
};

async function optionsWith(options) {
  const [wasmModule, data] = await Promise.all([early.module, options.data ? null : early.data]);
  const out = { ...options };
  if (wasmModule) out.wasmModule = wasmModule;
  if (data && !out.data) out.data = data;
  return out;
}

let productionPromise = null;
function productionEngine() {
  if (!productionPromise) {
    productionPromise = optionsWith({}).then(createEngine).finally(() => mark('engine_ready'));
    productionPromise.catch(() => { productionPromise = null; });
  }
  return productionPromise;
}
productionEngine().catch(() => {});

function engine() {
  if (!enginePromise) {
    enginePromise = resolveServing(slotConfig, base, early.data, early.manifest).then(async (r) => {
      serving = r.serving;
      if (!r.options.data) return productionEngine();
      const unused = productionPromise;
      productionPromise = null;
      if (unused) unused.then((e) => e.dispose(), () => {});
      return createEngine(await optionsWith(r.options));
    });
    // A failed start is retried by the next message instead of being cached.
    enginePromise.catch(() => { enginePromise = null; });
  }
  return enginePromise;
}

function bench(e, requests, iterations) {
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    e.recommendJson(requests[i % requests.length]);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor(p * (times.length - 1)))];
  return { iterations, p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99), mean_ms: times.reduce((a, b) => a + b, 0) / times.length };
}

// ---- the local log (IndexedDB, web/telemetry.js) ----------------------------------
// The site's recommendations go through recommendLogged; widgets call plain
// recommend and log nothing. The site's page asks for the log to be opened
// as soon as it creates the worker ("logOpen", web/index.html): IndexedDB's
// first open in a profile takes 150-300 ms here, which would otherwise begin
// only once the engine is built (the cold start, docs/performance.md).
// logInit opens it again when its options (the test hook) differ or the last
// open failed.
let logPromise = null;
let logOptions = {};
function eventLog() {
  if (!logPromise) {
    logPromise = new EventLog().open(logOptions);
    logPromise.then(() => mark('log_opened'));
  }
  return logPromise;
}

// Whether the log held any feedback signals when it was last read in full
// (logStatus, recommendLogged): a "none" is trusted for a moment, so the first
// answer after the page's logInit does not read the whole log again (the cold
// start); not for longer, as another tab may add feedback. This worker's own
// feedback clears it.
let signalsSeen = { value: null, at: -Infinity };
const SIGNALS_FRESH_MS = 2000;
const noteSignals = (events) => { signalsSeen = { value: hasSignals(events), at: performance.now() }; };
const forgetSignals = () => { signalsSeen = { value: null, at: -Infinity }; };

async function logStatus() {
  const log = await eventLog();
  const events = await log.all();
  noteSignals(events);
  const by = {};
  for (const e of events) by[e.event] = (by[e.event] || 0) + 1;
  return {
    available: log.available,
    reason: log.reason,
    count: events.length,
    by_event: by,
    pending_upload: events.filter((e) => !e._uploaded_at).length,
  };
}

// strategy auto: the evidence of this request's context goes with it, so the
// engine's learning brain can choose (brain.h). The context (canonical task,
// adapter, size bucket) is the engine's to resolve: when the log holds any
// feedback, a first answer names it, and the second carries the evidence.
async function recommendLogged(e, request) {
  const log = await eventLog();
  const isAuto = isAutoStrategy(request);
  let text;
  let evidence = null;
  if (isAuto && log.available) {
    const knownNone = signalsSeen.value === false && performance.now() - signalsSeen.at < SIGNALS_FRESH_MS;
    const events = knownNone ? [] : await log.all();
    if (!knownNone) noteSignals(events);
    if (hasSignals(events)) {
      const first = JSON.parse(e.recommendJson(request));
      const context = first.strategy_decision && first.strategy_decision.context;
      evidence = context ? evidenceFromEvents(events, context) : { strategies: {} };
    } else {
      evidence = { strategies: {} };
    }
    text = e.recommendJson({ ...request, evidence });
  } else {
    text = e.recommendJson(request);
  }
  mark('first_answer');
  text = tagResponse(text, serving); // model slot and version, logged with the answer
  let eventId = null;
  if (log.available) {
    const event = recommendationEvent(request, JSON.parse(text));
    try {
      if (await log.add(event)) eventId = event.event_id;
    } catch {
      eventId = null; // a full or revoked store: the answer still stands
    }
  }
  return { text, event_id: eventId, logging: log.available, reason: log.reason };
}

async function logAdd(event) {
  forgetSignals();
  const log = await eventLog();
  if (!log.available) throw new FtconfigError('unsupported', 'log', `logging is off: ${log.reason}`);
  await log.add(event);
  return event;
}

function asFieldError(err) {
  if (err instanceof RangeError) {
    const [field, ...rest] = err.message.split(':');
    return new FtconfigError('invalid_value', field.trim(), rest.length ? `${field.trim()}:${rest.join(':')}` : err.message);
  }
  return err;
}

const LOG_METHODS = {
  logInit: async (options) => {
    forgetSignals();
    const next = options && typeof options === 'object' ? options : {};
    if (logPromise && (!!next.simulateUnavailable !== !!logOptions.simulateUnavailable || !(await logPromise).available)) logPromise = null;
    logOptions = next;
    return logStatus();
  },
  logStatus: () => logStatus(),
  logFeedback: async (recommendationEventId, feedback) => {
    let events;
    try {
      events = [feedbackEvent(recommendationEventId, feedback || {}, serving)];
      if (feedback && Number.isInteger(feedback.rating))
        events.push(interactionEvent(recommendationEventId, 'rated', { rating: feedback.rating }, serving));
    } catch (err) {
      throw asFieldError(err);
    }
    for (const ev of events) await logAdd(ev);
    return events;
  },
  logInteraction: async (recommendationEventId, what, via) => {
    let ev;
    try {
      ev = interactionEvent(recommendationEventId, what, { via }, serving);
    } catch (err) {
      throw asFieldError(err);
    }
    return logAdd(ev);
  },
  logList: async () => (await eventLog()).all(),
  logExport: async () => toJsonl(await (await eventLog()).all()),
  logClear: async () => {
    forgetSignals();
    return (await eventLog()).clear();
  },
  logMarkUploaded: async (ids) => (await eventLog()).markUploaded(ids),
};

const METHODS = {
  init: (e) => ({ ...e.status(), serving }),
  status: (e) => ({ ...e.status(), serving }),
  recommend: (e, request) => {
    const text = e.recommendJson(request);
    mark('first_answer');
    return tagResponse(text, serving);
  },
  recommendLogged: (e, request) => recommendLogged(e, request),
  plan: (e, request) => e.plan(request),
  estimate: (e, input) => e.estimate(input),
  // The notebook's telemetry names the logged recommendation and the served model version.
  exportConfig: (e, request, format, eventId) => e.exportConfig(request, format, {
    recommendation_event_id: eventId || null,
    model_slot: serving ? serving.slot : null,
    model_version: serving ? serving.version ?? null : null,
  }),
  exportFormats: (e) => e.exportFormats(),
  gpus: (e) => e.gpus(),
  platforms: (e) => e.platforms(),
  tasks: (e) => e.tasks(),
  models: (e, query, limit) => e.models(query, limit),
  bench: (e, requests, iterations) => bench(e, requests, iterations),
  catalogFacts: () => catalogFacts(),
};

// Catalog facts the engine's summaries leave out, from the data snapshot:
// each plan's price date, source and basis ("platform/plan" -> {...}) for the
// cost, and each model's vocabulary size and whether it takes images (model id
// -> {vocab_size, multimodal}) for token counts and the vision-task warning.
async function catalogFacts() {
  const data = await early.data;
  const parse = (name) => {
    try {
      return JSON.parse(((data || {}).catalog || {})[name] || '{}');
    } catch {
      return {};
    }
  };
  const prices = {};
  for (const p of parse('platforms').platforms || []) {
    for (const pl of p.plans || []) {
      prices[`${p.id}/${pl.id}`] = { price_date: pl.price_date || null, price_source: pl.price_source || null, price_basis: pl.price_basis || null };
    }
  }
  const models = {};
  for (const m of parse('models').models || []) {
    models[m.id] = { vocab_size: m.vocab_size || null, multimodal: !!m.multimodal, family: m.family || null };
  }
  return { prices, models };
}

self.onmessage = async (event) => {
  const { id, method, args = [] } = event.data || {};
  if (method === 'timeline') { // without starting the engine
    self.postMessage({ id, ok: true, value: { ...timeline } });
    return;
  }
  if (method === 'logOpen') { // the site's page, as it creates the worker: no reply
    eventLog();
    return;
  }
  if (method === 'configure') { // before the engine starts: later calls would not see it
    if (!enginePromise) slotConfig = args[0] || null;
    self.postMessage({ id, ok: true, value: !enginePromise });
    return;
  }
  try {
    const own = (table) => Object.prototype.hasOwnProperty.call(table, method);
    let value;
    if (own(LOG_METHODS)) {
      value = await LOG_METHODS[method](...args); // the log works without the engine
    } else {
      const fn = own(METHODS) ? METHODS[method] : null;
      if (!fn) throw new FtconfigError('invalid_value', 'method', `unknown method "${method}"`);
      value = await fn(await engine(), ...args);
    }
    self.postMessage({ id, ok: true, value });
  } catch (e) {
    const error = {
      code: (e && e.code) || 'internal',
      field: (e && e.field) || '',
      message: (e && e.message) || String(e),
    };
    // After an internal failure start afresh: the next call gets a new engine.
    if (error.code === 'internal' && enginePromise) {
      enginePromise.then((old) => old.dispose(), () => {});
      enginePromise = null;
    }
    self.postMessage({ id, ok: false, error });
  }
};
