// Issue 20, the plan view: under a budget the page plots every option that
// qualifies (cost against hours, the front ringed, risk as colour and in
// words), lists the front, and an option opens its full recommendation, by
// click or keyboard; axe-core finds no serious or critical violation in it.
// Run: node --test tests/browser/plan.test.mjs (after scripts/build.sh --wasm).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { DESKTOP, PHONE, root, serveSite, settled, withPage } from './browser.mjs';

const LLAMA_QLORA_50K = '?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora&dataset_size=50000';

let site;
before(async () => {
  site = await serveSite('/');
});
after(async () => {
  if (site) await site.close();
});

// Opens the site, asks for a plan under `budget` and waits for the answer.
async function planUnder(p, budget) {
  await p.goto(`${site.url}${LLAMA_QLORA_50K}`);
  const s = await settled(p);
  assert.equal(s.state, 'ready', s.error);
  await p.locator('#plan_budget').fill(String(budget));
  await p.locator('#plan-run').click();
  await p.waitForSelector('#plan-result .plan-answer', { timeout: 30000 });
  return s;
}

// Waits for the recommendation shown to be one other than `before` (its JSON text).
async function nextAnswer(p, before) {
  await p.waitForFunction((old) => {
    const el = document.querySelector('#results');
    return el.getAttribute('aria-busy') !== 'true' && el.dataset.state === 'ready' && el.dataset.result !== old;
  }, before, { timeout: 20000 });
  return settled(p);
}

test('a $20 plan for Llama-3.1-8B QLoRA plots free and paid options with the front ringed and labelled', () => withPage(DESKTOP, async (p) => {
  await planUnder(p, 20);
  assert.equal(await p.locator('.plan-answer').getAttribute('data-state'), 'ready');
  const points = await p.$$eval('svg.plan-plot .pt', (els) => els.map((e) => ({
    label: e.getAttribute('aria-label'), front: e.classList.contains('front'), tab: e.getAttribute('tabindex'),
    risk: [...e.classList].find((c) => c.startsWith('risk-')),
  })));
  assert.ok(points.length >= 5, `${points.length} points`);
  assert.ok(points.some((pt) => /, free,/.test(pt.label)), 'a free option');
  assert.ok(points.some((pt) => /\$\d/.test(pt.label)), 'a paid option');
  const front = points.filter((pt) => pt.front);
  assert.ok(front.length >= 2);
  for (const pt of front) {
    assert.match(pt.label, /on the front/);
    assert.equal(pt.tab, '0', 'front points are reachable with Tab');
  }
  for (const pt of points) assert.match(pt.label, /risk (low|medium|high)/, 'risk in words, not only colour');
  for (const pt of points) assert.ok(pt.risk, 'risk as colour');
  // The table lists exactly the ringed points, the best one marked.
  assert.equal(await p.locator('table.plan-front tbody tr').count(), front.length);
  assert.equal(await p.locator('table.plan-front tr.best th .badge').count(), 1);
  assert.match(await p.locator('.plan-best').innerText(), /^Best: /);
}));

test('an option opens its full recommendation, from the table and from the plot by keyboard', () => withPage(DESKTOP, async (p) => {
  const first = await planUnder(p, 20);
  const row = p.locator('table.plan-front tbody tr').last();
  const id = await row.getAttribute('data-id');
  const [platform, plan, count] = id.split('/');
  const before = await p.locator('#results').getAttribute('data-result');
  await row.locator('button.plan-open').click();
  const opened = await nextAnswer(p, before);
  assert.equal(opened.result.request.platform, platform);
  assert.equal(opened.result.request.plan, plan);
  assert.equal(opened.result.gpu.count, Number.parseInt(count, 10));
  assert.equal(opened.result.fits, true);
  assert.notEqual(JSON.stringify(opened.result), JSON.stringify(first.result));
  // The form shows the option too (the address bar keeps it).
  assert.equal(await p.locator('#platform').inputValue(), platform);
  // Keyboard: a front point, focused, opens with Enter.
  const point = p.locator('svg.plan-plot .pt.front').first();
  const pointId = await point.getAttribute('data-id');
  const shown = await p.locator('#results').getAttribute('data-result');
  await point.focus();
  await p.keyboard.press('Enter');
  if (pointId.split('/')[0] !== platform || pointId.split('/')[1] !== plan) {
    const again = await nextAnswer(p, shown);
    assert.equal(again.result.request.platform, pointId.split('/')[0]);
  }
}));

test('nothing qualifies: the reason, no plot', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}${LLAMA_QLORA_50K}`);
  await settled(p);
  await p.locator('#plan_budget').fill('0');
  await p.locator('#plan_deadline').fill('0.5');
  await p.locator('#plan-run').click();
  await p.waitForSelector('#plan-result .plan-answer[data-state=none]', { timeout: 30000 });
  assert.match(await p.locator('.plan-best').innerText(), /no option meets every constraint/);
  assert.equal(await p.locator('svg.plan-plot').count(), 0);
}));

test('a bad constraint is an error naming it, and the page keeps working', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}${LLAMA_QLORA_50K}`);
  await settled(p);
  await p.locator('#plan_budget').fill('-5');
  await p.locator('#plan-run').click();
  await p.waitForSelector('#plan-result .error', { timeout: 30000 });
  assert.match(await p.locator('#plan-result .error').innerText(), /constraints\.budget_usd/);
  await p.locator('#plan_budget').fill('20');
  await p.locator('#plan-run').click();
  await p.waitForSelector('#plan-result .plan-answer[data-state=ready]', { timeout: 30000 });
}));

test('phone: the plan view reads without horizontal scrolling of the page', () => withPage(PHONE, async (p) => {
  await planUnder(p, 20);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${overflow} px of horizontal scrolling`);
}));

for (const scheme of ['light', 'dark']) {
  test(`axe-core: the plan view has no serious or critical violations, ${scheme} theme`, () => withPage(DESKTOP, async (p) => {
    await p.emulateMedia({ colorScheme: scheme });
    await planUnder(p, 20);
    for (const d of await p.locator('#plan-panel details').all()) await d.evaluate((el) => { el.open = true; });
    await p.addScriptTag({ path: path.join(root, 'node_modules', 'axe-core', 'axe.min.js') });
    const res = await p.evaluate(() => window.axe.run('#plan-panel', { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(bad, []);
  }));
}
