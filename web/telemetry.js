// The site's local log: events of the telemetry schema (docs/telemetry.md,
// schema_version 1) kept in IndexedDB, their JSONL export, the interaction
// labels, and the evidence the learning brain reads (the same aggregation as
// EvidenceFromEvents in engine/src/brain.cpp). No DOM: the worker, the page
// and the node tests import it.

export const SCHEMA_VERSION = 1;
export const DB_NAME = 'ftconfig-log';
export const STORE = 'events';
export const STRATEGIES = ['deterministic', 'hybrid', 'hybrid_ml'];
export const FEEDBACK_OUTCOMES = ['success', 'failed', 'oom'];
export const MAX_NOTES = 2000;

// ---- labels (seed 003) -------------------------------------------------------------
/**
 * What the user did -> the interaction's `action` and its training label.
 * Copying or downloading a recommendation (JSON, a notebook, a config file) is
 * using it.
 */
export const INTERACTIONS = {
  used: { action: 'used', label: 1.0 },
  copied: { action: 'used', label: 1.0 },
  downloaded: { action: 'used', label: 1.0 },
  saved: { action: 'saved', label: 0.8 },
  dismissed: { action: 'dismissed', label: 0.0 },
};

/** Label of a rating 1..5: 0.1 + 0.225 × (rating − 1), i.e. 0.1, 0.325, 0.55, 0.775, 1.0. */
export function ratingLabel(rating) {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new RangeError(`rating must be an integer from 1 to 5, got ${rating}`);
  return Math.round((0.1 + 0.225 * (rating - 1)) * 1000) / 1000;
}

/** Label of an interaction (what, or an action) and, for "rated", its rating. */
export function interactionLabel(what, rating) {
  if (what === 'rated') return ratingLabel(rating);
  const i = INTERACTIONS[what];
  if (!i) throw new RangeError(`unknown interaction "${what}"; expected ${Object.keys(INTERACTIONS).join(', ')} or rated`);
  return i.label;
}

// ---- ids and times ------------------------------------------------------------------
export function uuid() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** ISO 8601 UTC with milliseconds, as the companion writes: 2026-05-01T12:00:00.123Z */
export const nowIso = () => new Date().toISOString();

// ---- context and summaries ----------------------------------------------------------
/** The engine's model size bucket (SizeBucket in engine/src/corpus.cpp). */
export function sizeBucket(paramsB) {
  if (typeof paramsB !== 'number' || !Number.isFinite(paramsB)) return 'unknown';
  if (paramsB < 1) return 'small';
  if (paramsB <= 7.5) return 'medium';
  return 'large';
}

/** The learning brain's context of a response: (task, adapter, model size bucket). */
export function contextOf(response) {
  const d = response && response.strategy_decision;
  if (d && d.context) return { ...d.context };
  const r = (response && response.request) || {};
  return { task_type: r.task_type || '', adapter_type: r.adapter_type || '', model_size_bucket: sizeBucket(r.model_params_b) };
}

/** Model slot and version, when the response carries them (canary serving). */
export function modelSlotOf(response) {
  const r = response || {};
  const s = r.serving || r.model || {};
  const slot = r.model_slot ?? s.slot ?? null;
  const version = r.model_version ?? s.version ?? null;
  return { model_slot: typeof slot === 'string' ? slot : null, model_version: typeof version === 'string' ? version : null };
}

/**
 * model_slot and model_version of the models serving this page ({slot, version}
 * as the worker keeps them), for every event it logs (canary health); {} when unknown.
 */
export function servingFields(serving) {
  if (!serving || (typeof serving.slot !== 'string' && typeof serving.version !== 'string')) return {};
  return {
    model_slot: typeof serving.slot === 'string' ? serving.slot : null,
    model_version: typeof serving.version === 'string' ? serving.version : null,
  };
}

/** What the log keeps of a response: enough to count evidence and to read the log, not the whole answer. */
export function responseSummary(response) {
  const r = response || {};
  const pick = (o, keys) => {
    const out = {};
    for (const k of keys) if (o && o[k] !== undefined) out[k] = o[k];
    return out;
  };
  const s = {
    engine_version: r.engine_version,
    fits: r.fits,
    request: r.request,
    gpu: pick(r.gpu, ['id', 'name', 'count', 'usable_gb']),
    hyperparameters: r.hyperparameters,
    vram: pick(r.vram, ['per_gpu_gb', 'usable_gb', 'eval_peak_gb', 'margin_fraction']),
    time: pick(r.time, ['hours', 'cost_usd']),
    confidence: pick(r.confidence, ['score', 'level']),
    strategy: pick(r.strategy, ['requested', 'used']),
  };
  if (r.strategy_decision) s.strategy_decision = pick(r.strategy_decision, ['applied', 'chosen', 'plain_auto', 'context']);
  const slot = modelSlotOf(r);
  if (slot.model_slot || slot.model_version) s.serving = { slot: slot.model_slot, version: slot.model_version };
  return s;
}

function envelope(event, extra) {
  return { schema_version: SCHEMA_VERSION, event, event_id: uuid(), timestamp: nowIso(), source: 'browser', ...extra };
}

/** The `recommendation` event for a request and its response (the request without the brain's evidence). */
export function recommendationEvent(request, response) {
  const req = { ...(request || {}) };
  delete req.evidence;
  const { model_slot, model_version } = modelSlotOf(response);
  const used = response && response.strategy && response.strategy.used;
  return envelope('recommendation', {
    engine_version: (response && response.engine_version) || undefined,
    request: req,
    response: responseSummary(response),
    strategy: used || (request && request.strategy) || 'auto',
    model_slot,
    model_version,
  });
}

/**
 * A `feedback` event: rating 1-5, outcome success | failed | oom, notes (any
 * subset, at least one). Throws RangeError naming the field on bad input.
 */
export function feedbackEvent(recommendationEventId, { rating = null, outcome = null, notes = null } = {}, serving = null) {
  if (!recommendationEventId) throw new RangeError('recommendation_event_id: feedback is about a logged recommendation');
  if (rating !== null && (!Number.isInteger(rating) || rating < 1 || rating > 5)) throw new RangeError('rating: an integer from 1 to 5');
  if (outcome !== null && !FEEDBACK_OUTCOMES.includes(outcome)) throw new RangeError(`outcome: one of ${FEEDBACK_OUTCOMES.join(', ')}`);
  if (notes !== null && typeof notes !== 'string') throw new RangeError('notes: text');
  const text = notes === null ? null : notes.trim();
  if (text !== null && text.length > MAX_NOTES) throw new RangeError(`notes: at most ${MAX_NOTES} characters`);
  const n = text === '' ? null : text;
  if (rating === null && outcome === null && n === null) throw new RangeError('rating: give a rating, an outcome or a note');
  return envelope('feedback', { recommendation_event_id: recommendationEventId, rating, outcome, notes: n, ...servingFields(serving) });
}

/** An `interaction` event: what is used | copied | downloaded | saved | dismissed | rated (with its rating). */
export function interactionEvent(recommendationEventId, what, { rating, via } = {}, serving = null) {
  if (!recommendationEventId) throw new RangeError('recommendation_event_id: an interaction is about a logged recommendation');
  const label = interactionLabel(what, rating);
  const action = what === 'rated' ? 'rated' : INTERACTIONS[what].action;
  const e = envelope('interaction', { recommendation_event_id: recommendationEventId, action, label, ...servingFields(serving) });
  if (what === 'rated') e.rating = rating;
  if (via) e.via = String(via).slice(0, 64);
  return e;
}

// ---- JSONL --------------------------------------------------------------------------
/** JSON with object keys sorted at every level and no whitespace (how the companion stores events). */
export function canonicalJson(value) {
  return JSON.stringify(value, (key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out = {};
      for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = v[k];
      return out;
    }
    return v;
  });
}

/** Events as JSON Lines (what `ftconfig telemetry import` reads), oldest first. */
export function toJsonl(events) {
  return sortEvents(events).map((e) => canonicalJson(stripLocal(e))).join('\n') + (events.length ? '\n' : '');
}

/** Local bookkeeping fields (prefixed "_") never leave the browser. */
export function stripLocal(e) {
  const out = {};
  for (const [k, v] of Object.entries(e)) if (!k.startsWith('_')) out[k] = v;
  return out;
}

export function sortEvents(events) {
  return [...events].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : (a._seq || 0) - (b._seq || 0)));
}

// ---- evidence for the learning brain --------------------------------------------------
/**
 * Aggregates logged events into the request's `evidence` for one context (the
 * same rules as EvidenceFromEvents in engine/src/brain.cpp): recommendations
 * of the context per strategy that ran, with the feedback and interactions
 * that name them. "rated" interactions are skipped (the rating counts through
 * its feedback event).
 */
export function evidenceFromEvents(events, context) {
  const { task_type, adapter_type, model_size_bucket } = context;
  const strategies = {};
  const sums = {};
  const strategyOf = new Map();
  const get = (s) => {
    if (!strategies[s]) {
      strategies[s] = { recommendations: 0, feedback: 0, ratings: 0, interactions: 0, success: 0, failed: 0, oom: 0 };
      sums[s] = { rating: 0, label: 0, confidence: 0, confidenceN: 0, util: 0, utilN: 0 };
    }
    return strategies[s];
  };
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  for (const e of events) {
    if (!e || e.event !== 'recommendation') continue;
    const resp = e.response && typeof e.response === 'object' ? e.response : null;
    let strategy = e.strategy;
    if (!STRATEGIES.includes(strategy) && resp && resp.strategy) strategy = resp.strategy.used;
    const req = resp && resp.request;
    if (!STRATEGIES.includes(strategy) || !req) continue;
    if (req.task_type !== task_type || req.adapter_type !== adapter_type || sizeBucket(num(req.model_params_b)) !== model_size_bucket) continue;
    if (!e.event_id || strategyOf.has(e.event_id)) continue;
    strategyOf.set(e.event_id, strategy);
    const s = get(strategy);
    const z = sums[strategy];
    s.recommendations++;
    const score = resp.confidence ? num(resp.confidence.score) : null;
    if (score !== null) { z.confidence += score; z.confidenceN++; }
    const per = resp.vram ? num(resp.vram.per_gpu_gb) : null;
    const usable = resp.vram ? num(resp.vram.usable_gb) : null;
    if (per !== null && usable !== null && usable > 0) { z.util += Math.min(2, per / usable); z.utilN++; }
  }
  const seen = new Set();
  const runs = new Set();
  for (const e of events) {
    if (!e || (e.event !== 'feedback' && e.event !== 'interaction' && e.event !== 'run_complete')) continue;
    if (e.event_id) {
      if (seen.has(e.event_id)) continue;
      seen.add(e.event_id);
    }
    const strategy = strategyOf.get(e.recommendation_event_id);
    if (!strategy) continue;
    const s = get(strategy);
    const z = sums[strategy];
    if (e.event === 'run_complete') {
      // The notebook's own report of a run (engine/src/brain.cpp does the same).
      if (e.run_id) {
        if (runs.has(e.run_id)) continue;
        runs.add(e.run_id);
      }
      if (e.outcome === 'interrupted') continue;
      s.feedback++;
      if (e.outcome === 'success') s.success++;
      if (e.outcome === 'error') s.failed++;
      if (e.outcome === 'oom') s.oom++;
    } else if (e.event === 'feedback') {
      s.feedback++;
      const r = num(e.rating);
      if (r !== null && r >= 1 && r <= 5) { s.ratings++; z.rating += r; }
      if (e.outcome === 'success') s.success++;
      if (e.outcome === 'failed') s.failed++;
      if (e.outcome === 'oom') s.oom++;
    } else {
      if (e.action === 'rated') continue;
      let label = num(e.label);
      if (label === null) label = INTERACTIONS[e.action] ? INTERACTIONS[e.action].label : null;
      if (label === null || label < 0 || label > 1) continue;
      s.interactions++;
      z.label += label;
    }
  }
  for (const [name, s] of Object.entries(strategies)) {
    const z = sums[name];
    if (s.ratings > 0) s.mean_rating = z.rating / s.ratings;
    if (s.interactions > 0) s.mean_label = z.label / s.interactions;
    if (z.confidenceN > 0) s.mean_confidence = z.confidence / z.confidenceN;
    if (z.utilN > 0) s.mean_vram_utilization = z.util / z.utilN;
  }
  return { context: { task_type, adapter_type, model_size_bucket }, strategies };
}

/** True when a request leaves the strategy to the learning brain ("auto", the default): only then does the log matter. */
export function isAutoStrategy(request) {
  const s = request && request.strategy;
  return s === undefined || s === null || String(s).toLowerCase() === 'auto';
}

/** True when the log holds anything the brain could count (feedback or interactions). */
export function hasSignals(events) {
  return events.some((e) => e && (e.event === 'feedback' || e.event === 'interaction'));
}

// ---- upload -------------------------------------------------------------------------
/** The collector's ingest URL: a bare origin posts to /v1/events (as `ftconfig telemetry upload`). */
export function ingestUrl(collector) {
  const u = new URL(String(collector || '').trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError('collector URL: http:// or https:// only');
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/events';
  u.hash = '';
  return u.href;
}

/** The body a batch upload sends: {"events": [...]} with the local fields removed. */
export function uploadBody(events) {
  return canonicalJson({ events: sortEvents(events).map(stripLocal) });
}

// ---- IndexedDB ----------------------------------------------------------------------
function promisify(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('IndexedDB request failed'));
  });
}

/**
 * The log in IndexedDB. `open()` never throws: when IndexedDB is unavailable
 * (private mode, blocked storage) the log is off, says why, and every write is
 * a no-op, so the site keeps working.
 */
export class EventLog {
  #db = null;
  available = false;
  reason = '';

  async open({ simulateUnavailable = false } = {}) {
    if (this.#db) return this;
    try {
      if (simulateUnavailable) throw new Error('IndexedDB is disabled (test hook)');
      const idb = globalThis.indexedDB;
      if (!idb) throw new Error('this browser offers no IndexedDB here');
      const req = idb.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        const store = db.createObjectStore(STORE, { keyPath: 'event_id' });
        store.createIndex('timestamp', 'timestamp');
      };
      this.#db = await Promise.race([
        promisify(req),
        new Promise((_, reject) => setTimeout(() => reject(new Error('IndexedDB did not open (blocked?)')), 5000)),
      ]);
      this.available = true;
      this.reason = '';
    } catch (e) {
      this.#db = null;
      this.available = false;
      this.reason = (e && e.message) || String(e);
    }
    return this;
  }

  #tx(mode) {
    return this.#db.transaction(STORE, mode).objectStore(STORE);
  }

  /** Stores an event (idempotent by event_id); false when logging is off. */
  async add(event) {
    if (!this.#db) return false;
    await promisify(this.#tx('readwrite').put({ ...event, _seq: Date.now() }));
    return true;
  }

  /** Marks events as uploaded (kept locally, not sent again). */
  async markUploaded(ids, at = nowIso()) {
    if (!this.#db || !ids.length) return 0;
    const wanted = new Set(ids);
    const events = (await this.all()).filter((e) => wanted.has(e.event_id));
    const tx = this.#db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const e of events) store.put({ ...e, _uploaded_at: at });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return events.length;
  }

  async all() {
    if (!this.#db) return [];
    return sortEvents(await promisify(this.#tx('readonly').getAll()));
  }

  async count() {
    if (!this.#db) return 0;
    return promisify(this.#tx('readonly').count());
  }

  async clear() {
    if (!this.#db) return 0;
    const n = await this.count();
    await promisify(this.#tx('readwrite').clear());
    return n;
  }
}
