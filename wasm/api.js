// ftconfig: the engine in WebAssembly, as a small ES module.
//
//   import { createEngine } from 'ftconfig';
//   const engine = await createEngine();
//   const answer = engine.recommend({ platform: 'colab', plan: 'free', model: 'llama2-7b' });
//
// Works in browsers, Web Workers, Node and bundlers. Every call into the module
// returns an envelope ({ok, value} or {ok: false, error}); this layer unwraps
// it and throws FtconfigError with .code and .field. Types: ftconfig.d.ts.
//
// Three modules: ftconfig-wasm (the engine, loaded by createEngine),
// ftconfig-export (notebook and config files, loaded by the first
// exportConfig call) and ftconfig-plan (planning, loaded by the first plan
// call), so a first recommendation downloads only the engine.
import createFtconfigModule from './ftconfig-wasm.js';

/** The error every failed call throws: `.code` is stable (snake_case), `.field` names the input field. */
export class FtconfigError extends Error {
  constructor(code, field, message) {
    super(message);
    this.name = 'FtconfigError';
    this.code = code;
    this.field = field || '';
  }
}

const DEFAULT_WASM = 'ftconfig-wasm.wasm';
const DEFAULT_EXPORT_WASM = 'ftconfig-export.wasm';
const DEFAULT_PLAN_WASM = 'ftconfig-plan.wasm';
const DEFAULT_DATA = 'ftconfig-data.json';
const OK_PREFIX = '{"ok":true,"value":';
const CATALOG_FILES = ['gpus', 'platforms', 'models', 'stacks', 'tasks', 'datasets'];

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

function resolveUrl(value, fallbackName) {
  if (value instanceof URL) return value;
  if (value === undefined || value === null || value === '') return new URL(fallbackName, import.meta.url);
  if (typeof value !== 'string') throw new FtconfigError('invalid_type', 'options', `${fallbackName}: expected a URL or a string`);
  if (isNode && !/^[a-z][a-z0-9+.-]+:/i.test(value)) {
    // A plain path in Node (C:\ included): relative to the working directory.
    const cwd = process.cwd().replace(/\\/g, '/');
    const p = value.replace(/\\/g, '/');
    if (/^[a-z]:\//i.test(p)) return new URL(`file:///${p}`);
    return new URL(p, cwd.startsWith('/') ? `file://${cwd}/` : `file:///${cwd}/`);
  }
  const base = typeof location === 'object' && location.href ? location.href : import.meta.url;
  return new URL(value, base);
}

async function readBytes(url, what, field) {
  try {
    if (url.protocol === 'file:') {
      const fs = await import(/* webpackIgnore: true */ 'node:fs/promises');
      return new Uint8Array(await fs.readFile(url));
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    if (e instanceof FtconfigError) throw e;
    throw new FtconfigError('data_error', field, `cannot load the ${what} from ${url.href}: ${e.message}`);
  }
}

// Compiles the module (streaming where the server allows it), so the same
// path works in pages, module workers and Node.
async function compile(wasm) {
  try {
    if (wasm instanceof Uint8Array || wasm instanceof ArrayBuffer) return await WebAssembly.compile(wasm);
    if (wasm.protocol !== 'file:' && typeof WebAssembly.compileStreaming === 'function') {
      const response = await fetch(wasm);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      if ((response.headers.get('content-type') || '').startsWith('application/wasm')) {
        return await WebAssembly.compileStreaming(response);
      }
      return await WebAssembly.compile(await response.arrayBuffer());
    }
    return await WebAssembly.compile(await readBytes(wasm, 'WebAssembly module', 'wasmUrl'));
  } catch (e) {
    if (e instanceof FtconfigError) throw e;
    const where = wasm instanceof URL ? ` from ${wasm.href}` : '';
    throw new FtconfigError('data_error', 'wasmUrl', `cannot load the WebAssembly module${where}: ${e.message || e}`);
  }
}

/** Parses the bundled data snapshot (ftconfig-data.json) into what Engine.load takes. */
function engineData(bundle) {
  const hasSnapshot = bundle && typeof bundle.corpus_snapshot === 'string';
  if (!bundle || typeof bundle !== 'object' || typeof bundle.catalog !== 'object' ||
      !(hasSnapshot || Array.isArray(bundle.corpus))) {
    throw new FtconfigError('data_error', 'data',
      'the data snapshot must be {catalog: {gpus, ...}, corpus: [{name, text}]} or {catalog, corpus_snapshot: string}');
  }
  // Bytes, not strings: Embind copies a Uint8Array straight into memory.
  const encoder = new TextEncoder();
  const bytes = (v) => (typeof v === 'string' ? encoder.encode(v) : v);
  const catalog = {};
  for (const name of CATALOG_FILES) if (bundle.catalog[name] !== undefined) catalog[name] = bytes(bundle.catalog[name]);
  const models = {};
  for (const [name, text] of Object.entries(bundle.models || {})) models[name] = bytes(text);
  // The normalized corpus snapshot loads several times faster than the raw
  // JSONL (no per-row parsing of variant schemas); the site bundles it.
  if (hasSnapshot) return { catalog, corpus_snapshot: bytes(bundle.corpus_snapshot), models };
  const corpus = bundle.corpus.map((f) => ({ name: f && f.name, text: f && bytes(f.text) }));
  return { catalog, corpus, models };
}

// The value of an envelope, as JSON text (an error envelope throws).
function valueText(text) {
  if (text.startsWith(OK_PREFIX)) return text.slice(OK_PREFIX.length, -1);
  throw errorFrom(JSON.parse(text));
}

function unwrap(text) {
  return JSON.parse(valueText(text));
}

const utf8 = new TextDecoder();
const OK_BYTES = new TextEncoder().encode(OK_PREFIX);

// The value of an envelope given as UTF-8 bytes, as JSON text (an error envelope throws).
function envelopeText(bytes) {
  const ok = bytes.length > OK_BYTES.length && OK_BYTES.every((b, i) => bytes[i] === b);
  if (ok) return utf8.decode(bytes.subarray(OK_BYTES.length, bytes.length - 1));
  throw errorFrom(JSON.parse(utf8.decode(bytes)));
}

function errorFrom(envelope) {
  const e = envelope.error || {};
  return new FtconfigError(e.code || 'internal', e.field || '', e.message || 'unknown error');
}

/** The engine handle. Methods are synchronous once createEngine() resolved, except exportConfig, exportFormats and plan. */
export class Engine {
  #module;
  #raw;
  #snapshot;
  #exportWasm;
  #exporter = null;
  #bundle;
  #planWasm;
  #planner = null;
  #broken = false;
  #timings;

  constructor(module, raw, bundle, { exportWasm, planWasm }, timings) {
    this.#module = module;
    this.#raw = raw;
    this.#bundle = bundle;
    this.#snapshot = bundle.snapshot || null;
    this.#exportWasm = exportWasm;
    this.#planWasm = planWasm;
    this.#timings = timings;
  }

  // The export module, loaded once on first use.
  #exportModule() {
    if (!this.#exporter) {
      this.#exporter = Promise.all([import('./ftconfig-export.js'), compile(this.#exportWasm)])
        .then(([m, compiled]) => startModule(m.default, compiled))
        .catch((e) => {
          this.#exporter = null;
          throw e instanceof FtconfigError ? e
            : new FtconfigError('unsupported', 'format', `notebook and config exports are not available: ${e.message || e}`);
        });
    }
    return this.#exporter;
  }

  // The planner: an engine in the planning module, loaded once with this
  // engine's data (the same catalog, corpus and model artifacts).
  #plannerEngine() {
    if (!this.#planner) {
      const module = Promise.all([import('./ftconfig-plan.js'), compile(this.#planWasm)])
        .then(([m, compiled]) => startModule(m.default, compiled))
        .catch((e) => {
          throw e instanceof FtconfigError ? e
            : new FtconfigError('unsupported', '', `planning is not available: ${e.message || e}`);
        });
      this.#planner = module.then((m) => {
        const planner = new m.Planner();
        const envelope = JSON.parse(planner.load(engineData(this.#bundle)));
        if (!envelope.ok) {
          planner.delete();
          throw errorFrom(envelope);
        }
        return planner;
      });
      this.#planner.catch(() => { this.#planner = null; });
    }
    return this.#planner;
  }

  // Calls one bound method and returns what it returned (an envelope).
  // JS-side failures (a bad argument type, a trap) become FtconfigError too.
  #invoke(method, args) {
    if (this.#broken) throw new FtconfigError('internal', '', 'the engine stopped after an internal failure; create a new one');
    if (!this.#raw) throw new FtconfigError('unsupported', '', 'the engine was disposed');
    try {
      return this.#raw[method](...args);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) this.#broken = true;
      throw new FtconfigError('internal', '', `internal error in ${method}: ${e && e.message ? e.message : e}`);
    }
  }

  // Calls one bound method and returns the envelope's value as JSON text.
  #callText(method, ...args) {
    return valueText(this.#invoke(method, args));
  }

  #call(method, ...args) {
    return JSON.parse(this.#callText(method, ...args));
  }

  /** Engine version, e.g. "0.1.0". */
  get version() {
    return this.#module.version();
  }

  /** Recommends a safe configuration. `request`: an object (docs/api.md) or its JSON text. */
  recommend(request) {
    return JSON.parse(this.recommendJson(request));
  }

  /** Like recommend(), but the response as the engine's JSON text (canonical key order). */
  recommendJson(request) {
    // The envelope arrives as bytes in the module's memory (recommendBytes):
    // decoded at once, before any other call can move or reuse them.
    return envelopeText(this.#invoke('recommendBytes', [toText(request, 'request')]));
  }

  /**
   * Every platform / plan / GPU count / adapter option under `request.constraints`, the Pareto front over cost,
   * calendar hours and risk, and the best option (docs/planning.md). `request`: an object or its JSON text.
   * Asynchronous: the first call loads the planning module and builds its engine from this engine's data.
   */
  async plan(request) {
    const text = toText(request, 'request');
    if (!this.#raw) throw new FtconfigError('unsupported', '', 'the engine was disposed');
    const planner = await this.#plannerEngine();
    let answer;
    try {
      answer = planner.plan(text);
    } catch (e) {
      this.#planner = null; // a trapped module: start afresh next time
      throw new FtconfigError('internal', '', `internal error in plan: ${e && e.message ? e.message : e}`);
    }
    return unwrap(answer);
  }

  /** Peak VRAM, breakdown, throughput and fit for one training setup (the keys of `ftconfig estimate`). */
  estimate(input) {
    return this.#call('estimate', toText(input, 'input'));
  }

  /**
   * The recommendation for `request` rendered as a file: {format, filename, text}.
   * Asynchronous: the first call loads the export module. `tags` (optional):
   * {recommendation_event_id, model_slot, model_version} for the notebook's
   * telemetry (its run outcome then counts for the learning brain; canary health).
   */
  async exportConfig(request, format, tags = undefined) {
    const requestText = toText(request, 'request');
    const formatText = toStr(format, 'format');
    const responseText = withTags(this.recommendJson(requestText), tags);
    const exporter = await this.#exportModule();
    let text;
    try {
      text = exporter.exportConfig(requestText, responseText, formatText);
    } catch (e) {
      this.#exporter = null; // start the export module afresh next time
      throw new FtconfigError('internal', '', `internal error in exportConfig: ${e && e.message ? e.message : e}`);
    }
    return unwrap(text);
  }

  /** The export formats: [{format, filename}] (loads the export module; [] when it is missing). */
  async exportFormats() {
    try {
      return unwrap((await this.#exportModule()).formats());
    } catch {
      return [];
    }
  }

  gpus() {
    return this.#call('catalog', 'gpus', '', 0);
  }

  platforms() {
    return this.#call('catalog', 'platforms', '', 0);
  }

  tasks() {
    return this.#call('catalog', 'tasks', '', 0);
  }

  /** Models matching `query` (id, name or alias), best first; all when the query is empty. */
  models(query = '', limit = 0) {
    return this.#call('catalog', 'models', toStr(query, 'query'), Number.isFinite(limit) ? Math.trunc(limit) : 0);
  }

  /** Engine version, catalog and corpus counts, learned-model status, the data snapshot, start-up timings. */
  status() {
    return { ...this.#call('status'), snapshot: this.#snapshot, timings: this.#timings };
  }

  /** Frees the module's engine. Further calls throw. */
  dispose() {
    if (this.#raw) this.#raw.delete();
    this.#raw = null;
    if (this.#planner) this.#planner.then((p) => p.delete(), () => {});
    this.#planner = null;
  }
}

const now = () => (typeof performance === 'object' ? performance.now() : Date.now());
const round = (ms) => Math.round(ms * 10) / 10;

function toStr(value, field) {
  try {
    return String(value ?? '');
  } catch (e) {
    throw new FtconfigError('invalid_type', field, `${field} must be a string`);
  }
}

const TAG_KEYS = ['recommendation_event_id', 'model_slot', 'model_version'];

/** The response JSON text with exportConfig's tags (null/undefined ones left out) as its first keys. */
function withTags(responseText, tags) {
  if (tags === undefined || tags === null) return responseText;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw new FtconfigError('invalid_type', 'tags', 'tags must be an object');
  const head = [];
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEYS.includes(key)) throw new FtconfigError('unknown_field', `tags.${key}`, `unknown tag; expected ${TAG_KEYS.join(', ')}`);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.length > 128) throw new FtconfigError('invalid_type', `tags.${key}`, 'expected a string of at most 128 characters or null');
    head.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  if (!head.length || !responseText.startsWith('{')) return responseText;
  return responseText === '{}' ? `{${head.join(',')}}` : `{${head.join(',')},${responseText.slice(1)}`;
}

function toText(value, field) {
  if (typeof value === 'string') return value;
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new FtconfigError('invalid_json', field, `${field} cannot be turned into JSON: ${e.message}`);
  }
  if (text === undefined) throw new FtconfigError('invalid_json', field, `${field} must be a JSON object`);
  return text;
}

// Starts an Emscripten module factory on an already compiled WebAssembly.Module.
async function startModule(factory, compiled) {
  let failed;
  const failure = new Promise((_, reject) => { failed = reject; });
  return Promise.race([
    factory({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then(
          (instance) => receive(instance, compiled),
          (e) => failed(new FtconfigError('data_error', 'wasmUrl', `cannot instantiate the WebAssembly module: ${e.message || e}`)));
        return {};
      },
      print: () => {},
      printErr: () => {},
    }),
    failure,
  ]);
}

/**
 * Loads the module and the bundled data and returns a ready Engine.
 * options.wasmUrl / options.dataUrl / options.exportWasmUrl / options.planWasmUrl:
 * where ftconfig-wasm.wasm, ftconfig-data.json, ftconfig-export.wasm and ftconfig-plan.wasm live
 * (default: next to this file). options.wasmBinary: the module's bytes.
 * options.data: the data snapshot object itself (skips dataUrl).
 */
export async function createEngine(options = {}) {
  if (options === null || typeof options !== 'object') throw new FtconfigError('invalid_type', 'options', 'options must be an object');
  const wasm = options.wasmBinary || resolveUrl(options.wasmUrl, DEFAULT_WASM);
  const bundlePromise = options.data
    ? Promise.resolve(options.data)
    : readBytes(resolveUrl(options.dataUrl, DEFAULT_DATA), 'data snapshot', 'dataUrl').then((bytes) => {
      try {
        return JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new FtconfigError('data_error', 'dataUrl', `the data snapshot is not valid JSON: ${e.message}`);
      }
    });
  const t0 = now();
  const compiled0 = typeof WebAssembly.Module === 'function' && options.wasmModule instanceof WebAssembly.Module
    ? options.wasmModule : compile(wasm);
  const [compiled, bundle] = await Promise.all([compiled0, bundlePromise]);
  const t1 = now();
  const module = await startModule(createFtconfigModule, compiled);
  const raw = new module.Engine();
  const envelope = JSON.parse(raw.load(engineData(bundle)));
  if (!envelope.ok) {
    raw.delete();
    throw errorFrom(envelope);
  }
  const t2 = now();
  const exportWasm = options.exportWasmBinary || resolveUrl(options.exportWasmUrl, DEFAULT_EXPORT_WASM);
  const timings = { fetch_and_compile_ms: round(t1 - t0), load_ms: round(t2 - t1), total_ms: round(t2 - t0) };
  const planWasm = options.planWasmBinary || resolveUrl(options.planWasmUrl, DEFAULT_PLAN_WASM);
  return new Engine(module, raw, bundle, { exportWasm, planWasm }, timings);
}

export default createEngine;
