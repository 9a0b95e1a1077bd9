// The static site in headless Chromium: the form answers, the URL carries the
// request both ways, bad input shows a clear message and the page recovers,
// the widget page renders both widgets, no console errors, and the same under
// a sub-path. Run: node --test tests/browser/ (after scripts/build.sh --wasm).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launch, openPage, serveSite, settled, withFreshBrowser } from './browser.mjs';

const problems = [];
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

async function page() {
  const p = await openPage(browser.context);
  problems.push(p.problems);
  return p;
}

function assertNoProblems(p) {
  assert.deepEqual(p.problems, [], 'no console errors, page errors or failed requests');
}

for (const base of ['/', '/projects/ftconfig/']) {
  describe(`site served at ${base}`, () => {
    let site;
    before(async () => {
      site = await serveSite(base);
    });
    after(async () => {
      await site.close();
    });

    test('opens with a rendered recommendation, all sections present', async () => {
      const p = await page();
      await p.goto(site.url);
      const s = await settled(p);
      assert.equal(s.state, 'ready', s.error);
      assert.equal(typeof s.result.fits, 'boolean');
      for (const id of ['memory', 'hyperparameters', 'time', 'confidence', 'warnings', 'dependencies']) {
        assert.ok(await p.locator(`#sec-${id}`).isVisible(), `section ${id}`);
      }
      // Every hyperparameter is listed, each with a non-empty explanation.
      const rows = await p.$$eval('table.hp tbody tr', (trs) => trs.map((tr) => [tr.dataset.key, tr.querySelector('td.why').textContent.trim()]));
      assert.equal(rows.length, Object.keys(s.result.hyperparameters).length);
      for (const [key, why] of rows) if (s.result.why[key]) assert.equal(why, s.result.why[key], key);
      // The VRAM bar: one segment per non-zero component, the capacity marker.
      const segs = await p.$$eval('.vram-bar .seg', (els) => els.map((e) => e.className));
      assert.ok(segs.some((c) => c.includes('seg-weights')));
      assert.equal(await p.locator('.vram-bar .capacity').count(), 1);
      assert.match(await p.locator('.vram-bar').getAttribute('aria-label'), /usable/);
      await p.close();
      assertNoProblems(p);
    });

    test('a variant model name typed and not picked is answered for its model, kept as typed', async () => {
      const p = await page();
      await p.goto(site.url);
      await settled(p);
      const model = p.locator('#model');
      const name = 'unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit';
      await model.fill('');
      await model.pressSequentially(name);
      // The list follows the typing: once it answers the whole name, its first option is the model named.
      await p.locator('#model-list [role=option]', { hasText: 'variant' }).first().waitFor();
      assert.match(await p.locator('#model-list [role=option]').first().innerText(),
                   /meta-llama\/Llama-3\.1-8B[\s\S]*variant/);
      await model.press('Tab');
      await p.waitForFunction((n) => {
        const el = document.querySelector('#results');
        return el.dataset.state === 'ready' && JSON.parse(el.dataset.result).request.model_name === n;
      }, name);
      const s = await settled(p);
      assert.equal(s.result.request.model, 'meta-llama/Llama-3.1-8B');
      assert.ok(s.result.warnings.some((w) => w.includes('read as meta-llama/Llama-3.1-8B')));
      await p.close();
      assertNoProblems(p);
    });

    test('the form answers: pick a GPU and a model with the keyboard', async () => {
      const p = await page();
      await p.goto(site.url);
      await settled(p);
      await p.getByLabel('A specific GPU').check();
      await p.locator('#gpu').selectOption('rtx-4090');
      await settled(p);
      const model = p.locator('#model');
      await model.fill('');
      await model.pressSequentially('mistral 7b v0.3');
      await p.locator('#model-list [role=option]').first().waitFor();
      assert.equal(await model.getAttribute('aria-expanded'), 'true');
      await model.press('ArrowDown');
      assert.match(await model.getAttribute('aria-activedescendant'), /^model-opt-/);
      await model.press('Enter');
      assert.equal(await model.inputValue(), 'mistralai/Mistral-7B-v0.3');
      await p.locator('input[name=adapter][value=lora]').check();
      await p.locator('#dataset_size').fill('20000');
      await p.locator('#dataset_size').press('Enter');
      await p.waitForFunction(() => {
        const el = document.querySelector('#results');
        if (el.dataset.state !== 'ready') return false;
        const r = JSON.parse(el.dataset.result);
        return r.request.model === 'mistralai/Mistral-7B-v0.3' && r.time.dataset_size === 20000;
      });
      const s = await settled(p);
      assert.equal(s.result.gpu.id, 'rtx-4090');
      assert.equal(s.result.request.adapter_type, 'lora');
      const url = new URL(p.url());
      assert.equal(url.searchParams.get('gpu'), 'rtx-4090');
      assert.equal(url.searchParams.get('model'), 'mistralai/Mistral-7B-v0.3');
      assert.equal(url.searchParams.get('dataset_size'), '20000');
      await p.close();
      assertNoProblems(p);
    });

    test('the URL carries the request both ways', async () => {
      const p = await page();
      const query = 'platform=kaggle&plan=p100&model=Qwen%2FQwen2.5-3B&task=chat&adapter=qlora&max_seq_length=1024';
      await p.goto(`${site.url}?${query}`);
      const s = await settled(p);
      assert.equal(s.state, 'ready', s.error);
      assert.equal(s.result.request.platform, 'kaggle');
      assert.equal(s.result.request.model, 'Qwen/Qwen2.5-3B');
      assert.equal(s.result.gpu.id, 'p100');
      assert.equal(await p.locator('#platform').inputValue(), 'kaggle');
      assert.equal(await p.locator('#plan').inputValue(), 'p100');
      assert.equal(await p.locator('#task').inputValue(), 'chat');
      assert.equal(await p.locator('#max_seq_length').inputValue(), '1024');
      assert.ok(await p.locator('input[name=adapter][value=qlora]').isChecked());
      // Changing the form updates the URL ...
      await p.locator('#task').selectOption('code');
      await p.waitForFunction(() => new URL(location.href).searchParams.get('task') === 'code');
      const s2 = await settled(p);
      assert.equal(s2.result.request.task_type, 'code');
      const shared = p.url();
      // ... and opening that URL elsewhere gives the same answer.
      const q = await page();
      await q.goto(shared);
      const s3 = await settled(q);
      assert.deepEqual(s3.result, s2.result);
      await p.close();
      await q.close();
      assertNoProblems(p);
      assertNoProblems(q);
    });

    test('bad input: a clear message on the field, and the page keeps working', async () => {
      const p = await page();
      await p.goto(`${site.url}?gpu=RTX%209999&model=meta-llama%2FLlama-3.1-8B`);
      const s = await settled(p);
      assert.equal(s.state, 'error');
      assert.match(s.error, /unknown GPU "RTX 9999"/);
      assert.match(await p.locator('#results [role=alert]').innerText(), /RTX 9999/);
      assert.equal(await p.locator('#gpu').getAttribute('aria-invalid'), 'true');
      // Fix it in the form: the answer comes back.
      await p.locator('#gpu').selectOption('a100-80gb');
      await p.waitForFunction(() => document.querySelector('#results').dataset.state === 'ready');
      const fixed = await settled(p);
      assert.equal(fixed.result.gpu.id, 'a100-80gb');
      assert.equal(await p.locator('#gpu').getAttribute('aria-invalid'), null);
      // An out-of-range number names its field too.
      await p.locator('#num_gpus').fill('0');
      await p.locator('#num_gpus').press('Enter');
      await p.waitForFunction(() => document.querySelector('#results').dataset.state === 'error');
      const bad = await settled(p);
      assert.match(bad.error, /num_gpus/);
      assert.equal(await p.locator('#num_gpus').getAttribute('aria-invalid'), 'true');
      await p.locator('#num_gpus').fill('');
      await p.locator('#num_gpus').press('Enter');
      await p.waitForFunction(() => document.querySelector('#results').dataset.state === 'ready');
      await p.close();
      assertNoProblems(p);
    });

    test('an unknown model is an error naming the closest models; a custom size fixes it', async () => {
      const p = await page();
      await p.goto(`${site.url}?gpu=T4&model=my-org%2Fmy-model`);
      const s = await settled(p);
      assert.equal(s.state, 'error');
      assert.match(s.error, /my-org\/my-model/);
      // The message uses the form's label, without the command line's gloss beside it.
      const shown = await p.locator('.error-message').textContent();
      assert.match(shown, /Give "Parameters \(billions\)" to use a model outside the catalog/);
      await p.locator('#custom').check();
      await p.locator('#params_b').fill('1.3');
      await p.locator('#params_b').press('Enter');
      await p.waitForFunction(() => document.querySelector('#results').dataset.state === 'ready');
      const ok = await settled(p);
      assert.equal(ok.result.request.model_params_b, 1.3);
      assert.equal(new URL(p.url()).searchParams.get('params_b'), '1.3');
      await p.close();
      assertNoProblems(p);
    });

    test('docs-page.html renders both widgets (the second on first view)', async () => {
      const p = await page();
      await p.goto(`${site.url}examples/docs-page.html`);
      const first = p.locator('#free-t4');
      const second = p.locator('#rtx-4090');
      await p.waitForFunction(() => document.querySelector('#free-t4').getAttribute('data-state') === 'ready');
      // Lazy: the second widget, far below the fold, has not run yet.
      assert.equal(await second.getAttribute('data-state'), null);
      await second.scrollIntoViewIfNeeded();
      await p.waitForFunction(() => document.querySelector('#rtx-4090').getAttribute('data-state') === 'ready');
      const [r1, r2] = await p.evaluate(() => [...document.querySelectorAll('ftconfig-recommender')].map((w) => w.result));
      assert.equal(r1.gpu.id, 't4');
      assert.equal(r1.request.adapter_type, 'qlora');
      assert.equal(r2.gpu.id, 'rtx-4090');
      assert.equal(r2.request.model, 'mistralai/Mistral-7B-v0.3');
      // compact: one card; full: sections.
      assert.equal(await first.locator('.card.compact').count(), 1);
      assert.ok(await second.locator('details.section').count() >= 5);
      // The ftconfig-result event reached the page.
      assert.match(await p.locator('#free-t4-summary').innerText(), /In short/);
      // No style leakage: the page's brown table borders stop at the shadow root.
      const color = await second.locator('table.hp td.val').first().evaluate((el) => getComputedStyle(el).color);
      assert.notEqual(color, 'rgb(128, 64, 0)');
      // One engine: a single worker for both widgets.
      assert.equal(p.workers().length, 1);
      // Attributes drive the request.
      await p.evaluate(() => document.querySelector('#free-t4').setAttribute('adapter', 'lora'));
      await p.waitForFunction(() => {
        const w = document.querySelector('#free-t4');
        return w.getAttribute('data-state') === 'ready' && w.result.request.adapter_type === 'lora';
      });
      await p.close();
      assertNoProblems(p);
    });

    test('keyboard: every control is labelled and reachable with Tab', async () => {
      const p = await page();
      await p.goto(site.url);
      await settled(p);
      const unlabelled = await p.$$eval('#request-form input, #request-form select, #request-form button', (els) => els
        .filter((e) => e.offsetParent !== null)
        .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
        .map((e) => e.id || e.name));
      assert.deepEqual(unlabelled, []);
      await p.keyboard.press('Tab');
      assert.equal(await p.evaluate(() => document.activeElement.className), 'skip');
      const seen = new Set();
      for (let i = 0; i < 20; i++) {
        await p.keyboard.press('Tab');
        seen.add(await p.evaluate(() => document.activeElement.id || document.activeElement.name));
      }
      for (const id of ['where', 'platform', 'plan', 'num_gpus', 'model', 'custom', 'task', 'adapter', 'dataset_size', 'max_seq_length', 'advanced-summary']) {
        assert.ok(seen.has(id), `Tab reaches ${id} (reached: ${[...seen].join(', ')})`);
      }
      await p.close();
      assertNoProblems(p);
    });

    test('readable on a phone: no horizontal scrolling', async () => {
      const p = await page();
      await p.setViewportSize({ width: 360, height: 740 });
      await p.goto(`${site.url}?gpu=T4&model=Qwen%2FQwen2.5-7B&adapter=lora`);
      await settled(p);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
      await p.close();
      assertNoProblems(p);
    });
  });
}

test('works offline after the first visit (service worker)', () => withFreshBrowser('/offline/', async ({ site, context }) => {
  const p = await openPage(context);
  await p.goto(site.url);
  await settled(p);
  await p.evaluate(() => navigator.serviceWorker.ready.then(() => new Promise((r) => setTimeout(r, 200))));
  await context.setOffline(true);
  await site.close();
  await p.goto(`${site.url}?gpu=L4&model=llama2-7b`);
  const s = await settled(p);
  assert.equal(s.state, 'ready', s.error);
  assert.equal(s.result.gpu.id, 'l4');
  // The docs page (the widget) was precached too.
  await p.goto(`${site.url}examples/docs-page.html`);
  await p.waitForFunction(() => document.querySelector('#free-t4').getAttribute('data-state') === 'ready');
}));
