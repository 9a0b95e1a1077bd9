// One request, three spellings: the engine's JSON request, the page URL's
// query string, and the widget's attributes. Kept here once so the site, the
// widget and the tests agree.

// URL parameter / attribute name -> request field. Numbers are converted when
// they parse; anything else is passed through so the engine names the field.
export const FIELDS = [
  { key: 'platform', field: 'platform' },
  { key: 'plan', field: 'plan' },
  { key: 'gpu', field: 'gpu_override' },
  { key: 'num_gpus', field: 'num_gpus', number: true },
  { key: 'model', field: 'model' },
  { key: 'params_b', field: 'model_params_b', number: true },
  { key: 'task', field: 'task_type' },
  { key: 'adapter', field: 'adapter_type' },
  { key: 'dataset_size', field: 'dataset_size', number: true },
  { key: 'max_seq_length', field: 'max_seq_length', number: true },
  { key: 'strategy', field: 'strategy' },
  { key: 'framework', field: 'framework' },
  { key: 'allow_qlora', field: 'allow_qlora', boolean: true },
];

// Custom-architecture fields, as arch.<name> in URLs and arch-<name> attributes.
export const ARCH_FIELDS = [
  'hidden_size', 'num_layers', 'intermediate_size', 'num_attention_heads', 'num_kv_heads',
  'vocab_size', 'max_position_embeddings', 'num_experts', 'experts_per_token', 'is_moe', 'experts_linear', 'architecture',
];

function convert(value, { number, boolean }) {
  const v = String(value).trim();
  if (number && v !== '' && Number.isFinite(Number(v))) return Number(v);
  if (boolean) {
    if (/^(true|1|yes|on)$/i.test(v)) return true;
    if (/^(false|0|no|off)$/i.test(v)) return false;
  }
  return v;
}

function archValue(name, raw) {
  if (name === 'architecture') return String(raw);
  if (name === 'is_moe' || name === 'experts_linear') return convert(raw, { boolean: true });
  return convert(raw, { number: true });
}

/** Request from a lookup function (name -> string | null). */
export function requestFrom(get, archGet) {
  const request = {};
  for (const f of FIELDS) {
    const raw = get(f.key);
    if (raw === null || raw === undefined || String(raw).trim() === '') continue;
    request[f.field] = convert(raw, f);
  }
  const arch = {};
  for (const name of ARCH_FIELDS) {
    const raw = archGet(name);
    if (raw === null || raw === undefined || String(raw).trim() === '') continue;
    arch[name] = archValue(name, raw);
  }
  if (Object.keys(arch).length) request.architecture = arch;
  return request;
}

/** Request from a query string (or a hash "#a=b&..."), e.g. location.search. */
export function requestFromQuery(query) {
  const params = new URLSearchParams(String(query || '').replace(/^[?#]/, ''));
  return requestFrom((k) => params.get(k), (k) => params.get(`arch.${k}`));
}

/** Query string (without "?") for a request; fields in a fixed order. */
export function queryFromRequest(request) {
  const params = new URLSearchParams();
  for (const f of FIELDS) {
    const v = request[f.field];
    if (v === undefined || v === null || v === '') continue;
    params.set(f.key, String(v));
  }
  const arch = request.architecture || {};
  for (const name of ARCH_FIELDS) {
    if (arch[name] === undefined || arch[name] === null || arch[name] === '') continue;
    params.set(`arch.${name}`, String(arch[name]));
  }
  return params.toString();
}

/** Request from an element's attributes (the widget): num-gpus or num_gpus both work. */
export function requestFromAttributes(el) {
  const attr = (k) => el.getAttribute(k) ?? el.getAttribute(k.replace(/_/g, '-'));
  return requestFrom(attr, (k) => el.getAttribute(`arch-${k.replace(/_/g, '-')}`) ?? el.getAttribute(`arch-${k}`));
}

/** Attribute names the widget observes. */
export const ATTRIBUTES = [
  ...FIELDS.flatMap((f) => (f.key.includes('_') ? [f.key, f.key.replace(/_/g, '-')] : [f.key])),
  ...ARCH_FIELDS.map((k) => `arch-${k.replace(/_/g, '-')}`),
];
