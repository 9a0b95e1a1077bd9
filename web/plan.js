// The plan view (issue 20, docs/planning.md): where to train for the least
// money or time that is safe. The form's request plus a budget, deadline and
// objective go to the engine's plan(); the answer is drawn as a cost-against-
// hours plot (SVG, the Pareto front ringed, risk as colour and in words) and a
// table of the front. Each option opens its full recommendation. Builds
// elements with textContent only, like render.js.
import { h } from './render.js';

const SVG = 'http://www.w3.org/2000/svg';
// The fields a plan chooses itself: never sent with a plan request.
const CHOSEN_BY_PLAN = ['platform', 'plan', 'gpu', 'gpu_override', 'num_gpus', 'evidence'];

/** An SVG element: s('circle', {cx: 1}, child). */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** The plan request for the form's `request` and the panel's constraints (empty fields are left out). */
export function planRequest(request, { budget, deadline, objective } = {}) {
  const out = { ...request };
  for (const k of CHOSEN_BY_PLAN) delete out[k];
  const constraints = {};
  if (budget !== '' && budget !== undefined && budget !== null) constraints.budget_usd = Number(budget);
  if (deadline !== '' && deadline !== undefined && deadline !== null) constraints.deadline_hours = Number(deadline);
  if (objective) constraints.objective = objective;
  return { ...out, constraints };
}

const money = (x) => (typeof x === 'number' ? (x === 0 ? 'free' : `$${x.toFixed(2)}`) : 'price unknown');
const hours = (x) => (x < 10 ? `${x.toFixed(1)} h` : `${Math.round(x)} h`);

/** "Google Colab Free, 1 × NVIDIA T4, QLoRA" */
export function optionName(o) {
  const adapter = (o.configuration && o.configuration.adapter_type) || o.adapter_requested;
  const method = { none: 'full fine-tuning', lora: 'LoRA', qlora: 'QLoRA' }[adapter] || adapter;
  return `${o.platform.name} ${o.plan.name}, ${o.gpu.count} × ${o.gpu.name}, ${method}${o.framework ? `, ${o.framework}` : ''}`;
}

function optionLabel(o, best) {
  const parts = [optionName(o), money(o.cost_usd), hours(o.calendar_hours), `risk ${o.risk.level}`];
  if (o.sessions > 1) parts.push(`${o.sessions} sessions`);
  if (o.on_front) parts.push('on the front');
  if (o.id === best) parts.push('best');
  return parts.join(', ');
}

// Log-scale ticks (0.1, 0.3, 1, 3, ...) within [lo, hi].
function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 3]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= lo && v <= hi) out.push(v);
    }
  return out;
}

function linearTicks(hi) {
  const step = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000].find((st) => hi / st <= 5) || hi / 4;
  const out = [];
  for (let v = 0; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * The options that qualify, cost (y) against calendar hours (x, log scale).
 * Front points are ringed and reachable with Tab; every point has a label
 * and opens its recommendation (click, Enter or Space).
 */
export function planPlot(plan, onOpen) {
  const pts = plan.options.filter((o) => o.excluded_because.length === 0);
  const W = 640, H = 320, L = 60, R = 16, T = 16, B = 48;
  const xs = pts.map((o) => Math.max(o.calendar_hours, 0.05));
  const lo = Math.min(...xs) / 1.5, hi = Math.max(...xs) * 1.5;
  const top = Math.max(1, ...pts.map((o) => o.cost_usd)) * 1.1;
  const x = (v) => L + ((Math.log10(Math.max(v, 0.05)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const axes = [
    ...logTicks(lo, hi).map((v) => s('g', { class: 'tick' }, s('line', { x1: x(v), x2: x(v), y1: T, y2: H - B }),
      s('text', { x: x(v), y: H - B + 16, 'text-anchor': 'middle' }, v < 1 ? String(v) : String(Math.round(v))))),
    ...linearTicks(top).map((v) => s('g', { class: 'tick' }, s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, `$${v}`))),
    s('text', { class: 'axis-label', x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle' }, 'calendar hours (log scale)'),
    s('text', { class: 'axis-label', x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(T + H - B) / 2})` }, 'cost (US$)'),
  ];
  // Dominated points first, so the front is drawn on top.
  const order = [...pts].sort((a, b) => Number(a.on_front) - Number(b.on_front));
  const points = order.map((o) => {
    const label = optionLabel(o, plan.best.id);
    const open = () => onOpen(o);
    return s('g', {
      class: `pt risk-${o.risk.level}${o.on_front ? ' front' : ''}${o.id === plan.best.id ? ' best' : ''}`,
      'data-id': o.id, role: 'button', tabindex: o.on_front ? 0 : -1, 'aria-label': `${label}. Open its recommendation`,
      onclick: open,
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } },
    }, s('title', {}, label), s('circle', { cx: x(o.calendar_hours).toFixed(1), cy: y(o.cost_usd).toFixed(1), r: o.on_front ? 7 : 4.5 }));
  });
  return s('svg', {
    class: 'plan-plot', viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-labelledby': 'plan-plot-title',
  }, s('title', { id: 'plan-plot-title' }, `Cost against calendar hours of the ${pts.length} options that qualify; ${plan.summary.on_front} on the Pareto front (ringed)`),
  ...axes, ...points);
}

function legend() {
  return h('p', { class: 'plan-legend muted' },
    h('span', { class: 'key risk-low' }, 'low risk'), ' ', h('span', { class: 'key risk-medium' }, 'medium risk'), ' ',
    h('span', { class: 'key risk-high' }, 'high risk'), ' · ringed: on the Pareto front (nothing else is cheaper, faster and safer at once)');
}

/** The front as a table, best first marked; each row opens its recommendation. */
export function frontTable(plan, onOpen) {
  const front = plan.options.filter((o) => o.on_front);
  return h('div', { class: 'scroll-x' }, h('table', { class: 'plan-front' },
    h('caption', {}, `The Pareto front: ${front.length} of ${plan.summary.qualify} options that meet the constraints`),
    h('thead', {}, h('tr', {}, ['Option', 'Cost', 'Time', 'Risk', 'Gives up', ''].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, front.map((o) => h('tr', { 'data-id': o.id, class: o.id === plan.best.id ? 'best' : null },
      h('th', { scope: 'row' }, optionName(o), o.id === plan.best.id ? [' ', h('span', { class: 'badge good' }, 'best')] : null),
      h('td', { class: 'num' }, money(o.cost_usd)),
      h('td', { class: 'num' }, hours(o.calendar_hours), o.sessions > 1 ? ` (${o.sessions} sessions)` : ''),
      h('td', {}, h('span', { class: `badge risk-${o.risk.level}` }, o.risk.level), ` ${o.risk.score.toFixed(2)}`),
      h('td', { class: 'gives-up' }, o.gives_up.length ? o.gives_up.join('; ') : '—'),
      h('td', {}, h('button', { type: 'button', class: 'small plan-open', 'aria-label': `Open ${optionName(o)}`, onclick: () => onOpen(o) }, 'Open')))))));
}

function notQualifying(plan) {
  const counts = {};
  for (const o of plan.options) for (const e of o.excluded_because) counts[e.code] = (counts[e.code] || 0) + 1;
  const words = { does_not_fit: 'do not fit in memory', price_unknown: 'have no sourced price', over_budget: 'are over the budget', past_deadline: 'miss the deadline', error: 'were refused' };
  const items = Object.entries(counts).map(([code, n]) => h('li', {}, `${n} ${words[code] || code}`));
  return h('details', { class: 'plan-excluded' }, h('summary', {}, `Options that do not qualify (${plan.options.length - plan.summary.qualify})`),
    h('ul', {}, items), h('p', { class: 'muted' }, plan.managed_apis.why));
}

/** The answer: the best option and why, the plot, the front. */
export function renderPlan(plan, onOpen) {
  const best = plan.options.find((o) => o.id === plan.best.id);
  if (!best) {
    return h('div', { class: 'plan-answer', 'data-state': 'none' }, h('p', { class: 'plan-best' }, plan.best.reason), notQualifying(plan));
  }
  return h('div', { class: 'plan-answer', 'data-state': 'ready' },
    h('p', { class: 'plan-best' }, h('strong', {}, `Best: ${optionName(best)}`), ` — ${plan.best.reason}.`),
    planPlot(plan, onOpen), legend(), frontTable(plan, onOpen), notQualifying(plan));
}

/**
 * Wires the panel: its form asks `plan(request)` (a promise of the plan) for
 * the page's current request; `open(option)` shows an option's recommendation.
 */
export function mountPlanPanel(root, { plan, currentRequest, open }) {
  const out = root.querySelector('#plan-result');
  const form = root.querySelector('#plan-form');
  let serial = 0;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const mine = ++serial;
    const request = planRequest(currentRequest(), {
      budget: form.elements.plan_budget.value.trim(), deadline: form.elements.plan_deadline.value.trim(), objective: form.elements.plan_objective.value,
    });
    out.setAttribute('aria-busy', 'true');
    out.replaceChildren(h('p', { class: 'status' }, 'Comparing every platform, plan and GPU count…'));
    try {
      const answer = await plan(request);
      if (mine !== serial) return;
      out.replaceChildren(renderPlan(answer, (o) => open(o, request)));
    } catch (err) {
      if (mine !== serial) return;
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.field ? `${err.field}: ${err.message}` : err.message));
    } finally {
      if (mine === serial) out.setAttribute('aria-busy', 'false');
    }
  });
}
