// The engine's Web Worker: the page never blocks on WebAssembly. One engine
// per worker, created on the first message; requests are answered in order.
//
// Message in:  {id, method, args}
// Message out: {id, ok: true, value} | {id, ok: false, error: {code, field, message}}
// "recommend" answers the response's JSON text (the page parses it and keeps
// the text for data-result); "bench" times warm recommendations here, inside
// the worker (scripts/bench-web.mjs).
import { createEngine, FtconfigError } from './api.js';
import { resolveServing, tagResponse } from './slots.js';

let enginePromise = null;
// Model slot (web/slots.js): the page sends {clientId, override} first
// ("configure"); `serving` is {slot, version, reason} once the engine exists.
let slotConfig = null;
let serving = null;

function engine() {
  if (!enginePromise) {
    enginePromise = resolveServing(slotConfig, new URL('.', import.meta.url)).then((r) => {
      serving = r.serving;
      return createEngine(r.options);
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

const METHODS = {
  init: (e) => ({ ...e.status(), serving }),
  status: (e) => ({ ...e.status(), serving }),
  recommend: (e, request) => tagResponse(e.recommendJson(request), serving),
  estimate: (e, input) => e.estimate(input),
  exportConfig: (e, request, format) => e.exportConfig(request, format),
  exportFormats: (e) => e.exportFormats(),
  gpus: (e) => e.gpus(),
  platforms: (e) => e.platforms(),
  tasks: (e) => e.tasks(),
  models: (e, query, limit) => e.models(query, limit),
  bench: (e, requests, iterations) => bench(e, requests, iterations),
};

self.onmessage = async (event) => {
  const { id, method, args = [] } = event.data || {};
  if (method === 'configure') { // before the engine starts: later calls would not see it
    if (!enginePromise) slotConfig = args[0] || null;
    self.postMessage({ id, ok: true, value: !enginePromise });
    return;
  }
  try {
    const fn = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : null;
    if (!fn) throw new FtconfigError('invalid_value', 'method', `unknown method "${method}"`);
    const value = await fn(await engine(), ...args);
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
