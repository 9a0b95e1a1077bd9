// Model slots on the static site: which trained models (production or the
// canary) a browser is served, the static-site form of the X-Model-Slot /
// X-Model-Version headers of a server. See docs/retraining.md ("Canary").
//
// - The page keeps an anonymous random client id in localStorage
//   ("ftconfig-client-id", a UUID; nothing else about the visitor).
// - The build writes ftconfig-models.json: {format: "ftconfig-models",
//   canary_fraction, slots: {production: {version}, canary: {version, file}}}.
//   Production's artifacts are in ftconfig-data.json; the canary's in `file`.
// - A client is in the canary when its bucket — FNV-1a 32 of its id, finalized
//   with the murmur3 mixer, divided by 2^32 — is below canary_fraction: stable
//   across visits, and about that share of all clients. `?slot=canary` or `?slot=production` on the page overrides it
//   (for testing; a canary override without a canary serves production).
// - Every response carries model_slot and model_version.
//
// Pure functions (no DOM), so node tests can import this module.

export const CLIENT_ID_KEY = 'ftconfig-client-id';
export const MANIFEST_FILE = 'ftconfig-models.json';

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`; an unsigned integer. */
export function fnv1a32(text) {
  const bytes = new TextEncoder().encode(String(text));
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The murmur3 32-bit finalizer: spreads every input bit over the high bits. */
export function mix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The client's bucket in [0, 1): FNV-1a 32, finalized with mix32 (plain
 * FNV-1a barely moves its high bits when only the last characters differ,
 * which skews the split for ids like "client-1", "client-2"), over 2^32.
 */
export function bucket(clientId) {
  return mix32(fnv1a32(clientId)) / 4294967296;
}

function randomId() {
  if (typeof crypto === 'object' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The anonymous client id kept in `storage` (localStorage); a fresh one per call when storage fails. */
export function clientId(storage) {
  try {
    let id = storage && storage.getItem(CLIENT_ID_KEY);
    if (!id) {
      id = randomId();
      if (storage) storage.setItem(CLIENT_ID_KEY, id);
    }
    return id;
  } catch {
    return randomId(); // private mode or storage disabled: production or canary by chance, per page load
  }
}

/** `?slot=canary|production` of a page URL (a string or URL), else null. */
export function slotOverride(href) {
  try {
    const v = new URL(String(href)).searchParams.get('slot');
    return v === 'canary' || v === 'production' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The slot to serve: {slot, version, reason}.
 * manifest: the parsed ftconfig-models.json (or null when the build has none).
 */
export function chooseSlot(manifest, id, override = null) {
  const slots = (manifest && manifest.slots) || {};
  const production = { slot: 'production', version: (slots.production && slots.production.version) || null };
  const canary = slots.canary && slots.canary.version && slots.canary.file ? slots.canary : null;
  if (override === 'production') return { ...production, reason: 'override' };
  if (override === 'canary') {
    return canary ? { slot: 'canary', version: canary.version, reason: 'override' } : { ...production, reason: 'override_without_canary' };
  }
  const fraction = Number(manifest && manifest.canary_fraction) || 0;
  if (!canary || !(fraction > 0)) return { ...production, reason: 'no_canary' };
  return bucket(id) < fraction
    ? { slot: 'canary', version: canary.version, reason: 'hash' }
    : { ...production, reason: 'hash' };
}

/** The page side: what the worker needs to pick the slot ({clientId, override}). */
export function pageSlotConfig(win = globalThis) {
  let storage = null;
  try {
    storage = win.localStorage || null;
  } catch {
    storage = null;
  }
  return { clientId: clientId(storage), override: slotOverride(win.location ? win.location.href : '') };
}

/** Adds model_slot and model_version to the engine's response JSON text (first keys). */
export function tagResponse(text, serving) {
  if (!serving || typeof text !== 'string' || !text.startsWith('{')) return text;
  const head = `"model_slot":${JSON.stringify(serving.slot)},"model_version":${JSON.stringify(serving.version ?? null)}`;
  return text === '{}' ? `{${head}}` : `{${head},${text.slice(1)}`;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.json();
}

/** The slot manifest (MANIFEST_FILE under `base`), or null when there is none or it cannot be read. */
export async function fetchManifest(base) {
  try {
    return await fetchJson(new URL(MANIFEST_FILE, base));
  } catch {
    return null;
  }
}

/**
 * The worker side: picks the slot and returns {serving, options} where
 * options go to createEngine(). `base` is the URL the site files live under;
 * `data`, when given, is (a promise of) the data snapshot already fetched, so
 * a canary client does not download it twice; `manifest`, when given, is (a
 * promise of) fetchManifest(base), started early (the cold start).
 * A missing manifest serves production; a canary whose files cannot be
 * loaded falls back to production (reason "canary_unavailable").
 */
export async function resolveServing(config, base, data = null, manifest = undefined) {
  manifest = await (manifest === undefined ? fetchManifest(base) : Promise.resolve(manifest).catch(() => null));
  const choice = chooseSlot(manifest, (config && config.clientId) || '', (config && config.override) || null);
  if (choice.slot !== 'canary') return { serving: choice, options: {} };
  try {
    const [bundle, models] = await Promise.all([
      Promise.resolve(data).then((d) => d || fetchJson(new URL('ftconfig-data.json', base))),
      fetchJson(new URL(manifest.slots.canary.file, base)),
    ]);
    return { serving: choice, options: { data: { ...bundle, models } } };
  } catch {
    return {
      serving: { slot: 'production', version: (manifest.slots.production && manifest.slots.production.version) || null, reason: 'canary_unavailable' },
      options: {},
    };
  }
}
