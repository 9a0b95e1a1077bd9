// The page side of the engine worker: promise-based calls, one worker per page
// shared by the site and every widget on it.
import { pageSlotConfig } from './slots.js';

const here = new URL('.', import.meta.url);

export class EngineError extends Error {
  constructor({ code = 'internal', field = '', message = 'unknown error' } = {}) {
    super(message);
    this.name = 'FtconfigError';
    this.code = code;
    this.field = field;
  }
}

// A module worker from another origin (a docs site embedding the widget) is
// not allowed directly; a same-origin blob that imports it is, given CORS.
function spawnWorker() {
  const url = new URL('worker.js', here);
  // The site's page starts its worker from an inline script, before the
  // modules load (web/index.html); adopt it when it runs this worker.js.
  // One that already failed to start (its error event came before this
  // client could listen) is replaced, so the failure is reported below.
  const early = typeof window === 'object' ? window.__ftconfigWorker : null;
  if (early && new URL('worker.js', document.baseURI).href === url.href) {
    window.__ftconfigWorker = null;
    if (!early.failed) return early;
    early.terminate();
  }
  if (typeof location === 'object' && url.origin === location.origin) {
    return new Worker(url, { type: 'module', name: 'ftconfig-engine' });
  }
  const shim = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(shim), { type: 'module', name: 'ftconfig-engine' });
}

// Whether this browser's log may hold feedback signals (feedback or
// interactions: what the learning brain reads). The page keeps a hint in
// localStorage - "some" from every call that writes one, and whatever the
// log reports when the page reads its status - so that a first answer can be
// shown before IndexedDB has opened (the cold start, docs/performance.md).
// No hint means a browser that never used the site; unreadable storage
// counts as "may". The logged answer that follows is the authority: the page
// shows it instead when it differs.
const SIGNALS_KEY = 'ftconfig.log.signals';
const SIGNAL_WRITES = new Set(['logFeedback', 'logInteraction']);
export const signalsHint = {
  mayExist() {
    try { return localStorage.getItem(SIGNALS_KEY) === 'some'; } catch { return true; }
  },
  set(mayExist) {
    try { localStorage.setItem(SIGNALS_KEY, mayExist ? 'some' : 'none'); } catch { /* storage off */ }
  },
};

export class EngineClient {
  #worker;
  #next = 1;
  #pending = new Map();

  constructor() {
    this.#worker = spawnWorker();
    // The model slot (production or canary) is chosen from this page's client id and ?slot=.
    this.call('configure', pageSlotConfig()).catch(() => {});
    this.#worker.onmessage = (event) => {
      const { id, ok, value, error } = event.data || {};
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      if (ok) p.resolve(value);
      else p.reject(new EngineError(error));
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const error = new EngineError({ code: 'data_error', message: `the engine worker failed to start: ${event.message || 'unknown reason'}` });
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
  }

  call(method, ...args) {
    if (SIGNAL_WRITES.has(method)) signalsHint.set(true);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, method, args });
    });
  }

  /** Resolves to {text, response}: the engine's JSON text and its parsed form. */
  async recommend(request) {
    const text = await this.call('recommend', request);
    return { text, response: JSON.parse(text) };
  }
}

let shared = null;
/** The page's one engine client (created on first use). */
export function engineClient() {
  if (!shared) shared = new EngineClient();
  return shared;
}
