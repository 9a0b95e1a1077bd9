// Issue 19, "the page a practitioner trusts in ten seconds": the form shows
// exactly the inputs that decide the answer, the configuration is on the first
// screen on a desktop and a phone, an edit on the phone keeps the verdict in
// view, a configuration that does not fit offers what would, and axe-core finds
// no serious or critical violation in the light and dark themes.
// Run: node --test tests/browser/page.test.mjs (after scripts/build.sh --wasm).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DESKTOP, PHONE, root, serveSite, settled, withPage } from './browser.mjs';


let site;
before(async () => {
  site = await serveSite('/');
});
after(async () => {
  if (site) await site.close();
});

// The answer without its echo of the request.
const answer = (result) => JSON.stringify({ ...result, request: undefined });

// The answer on the page now, as the page keeps it (the response's JSON text).
const shownText = (p) => p.locator('#results').getAttribute('data-result');

// Waits for an answer other than the text `before` (or an error) and returns it.
async function nextAnswer(p, before) {
  await p.waitForFunction((old) => {
    const el = document.querySelector('#results');
    return el.getAttribute('aria-busy') !== 'true' && ((el.dataset.state === 'ready' && el.dataset.result !== old) || el.dataset.state === 'error');
  }, before, { timeout: 20000 });
  return settled(p);
}

// How to change each control a person can see (mode switches aside). A control
// on screen without an entry here fails the test: it must be shown to decide.
const CHANGES = {
  platform: (p) => p.locator('#platform').selectOption('runpod'),
  plan: (p) => p.locator('#plan').selectOption('pro-a100'),
  gpu: (p) => p.locator('#gpu').selectOption('a100-80gb'),
  num_gpus: async (p) => { await p.locator('#num_gpus').fill('2'); await p.locator('#num_gpus').press('Enter'); },
  model: async (p) => { await p.locator('#model').fill('Qwen/Qwen2.5-3B'); await p.locator('#model').press('Enter'); },
  params_b: async (p) => { await p.locator('#params_b').fill('13'); await p.locator('#params_b').press('Enter'); },
  task: (p) => p.locator('#task').selectOption('preference_dpo'),
  adapter: (p) => p.locator('input[name=adapter][value=qlora]').check(),
  allow_qlora: (p) => p.locator('#allow_qlora').uncheck(),
  dataset_size: async (p) => { await p.locator('#dataset_size').fill('90000'); await p.locator('#dataset_size').press('Enter'); },
  max_seq_length: async (p) => { await p.locator('#max_seq_length').fill('256'); await p.locator('#max_seq_length').press('Enter'); },
  sample: (p) => p.locator('#sample').setInputFiles({
    name: 'sample.jsonl', mimeType: 'application/json',
    buffer: Buffer.from(Array.from({ length: 40 }, (_, i) => JSON.stringify({ instruction: 'Explain '.repeat(200 + i * 50), output: 'ok' })).join('\n')),
  }),
};
const MODE_SWITCHES = new Set(['where', 'custom']);

// Controls on screen / hidden by the mode (`hidden` on an ancestor); controls
// folded in a closed <details> are neither.
const controls = (p) => p.evaluate(() => {
  const key = (el) => (el.type === 'radio' ? el.name : el.id || el.name);
  const out = { visible: new Set(), hidden: new Set() };
  for (const el of document.querySelectorAll('#request-form input, #request-form select')) {
    if (el.closest('[hidden]')) out.hidden.add(key(el));
    else if (el.checkVisibility()) out.visible.add(key(el));
  }
  return { visible: [...out.visible], hidden: [...out.hidden] };
});

const MODES = [
  {
    name: 'platform and plan', query: 'platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=lora&dataset_size=5000',
    shown: ['platform', 'plan', 'num_gpus', 'model', 'task', 'adapter', 'allow_qlora', 'dataset_size', 'max_seq_length'], notShown: ['gpu', 'params_b'],
  },
  {
    name: 'a specific GPU', query: 'gpu=t4&model=meta-llama%2FLlama-3.1-8B&adapter=lora&dataset_size=5000',
    shown: ['gpu', 'num_gpus', 'model', 'allow_qlora'], notShown: ['platform', 'plan', 'params_b'],
  },
  {
    name: 'a custom model', query: 'gpu=t4&params_b=7&adapter=lora&dataset_size=5000', nameOnly: ['model'],
    shown: ['gpu', 'params_b', 'model'], notShown: ['platform', 'plan'],
  },
];

describe('the form shows exactly the inputs that decide the answer', () => {
  for (const mode of MODES) {
    test(`mode "${mode.name}": every visible control changes the answer, no hidden one does`, () => withPage(DESKTOP, async (p) => {
      await p.goto(`${site.url}?${mode.query}`);
      const base = await settled(p);
      assert.equal(base.state, 'ready', base.error);
      const { visible, hidden } = await controls(p);
      for (const k of mode.shown) assert.ok(visible.includes(k), `${k} is on screen`);
      for (const k of mode.notShown) assert.ok(hidden.includes(k), `${k} is hidden`);
      const deciding = visible.filter((k) => !MODE_SWITCHES.has(k));
      assert.deepEqual(deciding.filter((k) => !CHANGES[k]), [], 'every visible control has a change in this test');
      for (const key of deciding) {
        await p.goto(`${site.url}?${mode.query}`);
        const before = { ...(await settled(p)), text: await shownText(p) };
        await CHANGES[key](p);
        const after = await nextAnswer(p, before.text);
        assert.equal(after.state, 'ready', `${key}: ${after.error}`);
        // A custom model's name decides the exports (the model they load), not the numbers.
        if ((mode.nameOnly || []).includes(key)) assert.notEqual(after.result.request.model, before.result.request.model, key);
        else assert.notEqual(answer(after.result), answer(before.result), `changing ${key} changes the answer`);
      }
      // A hidden control, changed by script, changes nothing.
      await p.goto(`${site.url}?${mode.query}`);
      const again = await settled(p);
      for (const key of hidden) {
        const changed = await p.evaluate((k) => {
          const el = document.getElementById(k) || document.querySelector(`[name=${k}]`);
          if (!el || el.type === 'file' || el.type === 'radio') return false;
          if (el.type === 'checkbox') el.checked = !el.checked;
          else if (el.tagName === 'SELECT') el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
          else el.value = '3';
          el.dispatchEvent(new Event('change', { bubbles: true }));
          return true;
        }, key);
        if (!changed) continue;
        await p.waitForTimeout(150);
        const s = await settled(p);
        assert.equal(answer(s.result), answer(again.result), `hidden ${key} changes nothing`);
      }
    }));
  }

  test('plan mode: the plan\'s GPU is the answer\'s, and no GPU picker is on screen', () => withPage(DESKTOP, async (p) => {
    await p.goto(`${site.url}?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B`);
    await settled(p);
    assert.equal(await p.locator('#gpu').isVisible(), false);
    const before = { ...(await settled(p)), text: await shownText(p) };
    await p.locator('#plan').selectOption('pro-a100');
    const s = await nextAnswer(p, before.text);
    assert.equal(s.result.gpu.id, 'a100-40gb');
    await p.getByLabel('A specific GPU').check();
    assert.equal(await p.locator('#platform').isVisible(), false);
    assert.equal(await p.locator('#plan').isVisible(), false);
  }));
});

// The configuration's values, the verdict and the downloads are inside the first viewport.
async function assertFirstScreen(p, height) {
  const keys = ['learning_rate', 'batch', 'max_seq_length', 'lora', 'lora_targets', 'precision', 'num_epochs'];
  for (const k of keys) {
    const box = await p.locator(`[data-cfg=${k}]`).boundingBox();
    assert.ok(box, `${k} is shown`);
    assert.ok(box.y + box.height <= height, `${k} ends at ${Math.round(box.y + box.height)} px, below the first ${height} px`);
  }
  for (const sel of ['.verdict', 'button[data-export=notebook]']) {
    const box = await p.locator(sel).first().boundingBox();
    assert.ok(box.y + box.height <= height, `${sel} ends at ${Math.round(box.y + box.height)} px`);
  }
  const text = await p.locator('.verdict').innerText();
  assert.match(text, /GB to spare/);
  const first = await p.evaluate((hgt) => [...document.querySelectorAll('body *')]
    .filter((el) => el.children.length === 0 && el.checkVisibility() && el.getBoundingClientRect().top < hgt)
    .map((el) => el.textContent).join(' '), height);
  for (const jargon of ['hybrid_ml', 'allow_qlora', 'slots.js', 'deterministic']) assert.ok(!first.includes(jargon), `no "${jargon}" on the first screen`);
}

for (const [name, view] of [['desktop 1366×900', DESKTOP], ['phone 390×844', PHONE]]) {
  test(`${name}: the configuration is on the first screen`, () => withPage(view, async (p) => {
    await p.goto(`${site.url}?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora`);
    const s = await settled(p);
    assert.equal(s.state, 'ready', s.error);
    await assertFirstScreen(p, view.viewport.height);
  }));
}

test('phone: after an edit the updated verdict is in view', () => withPage(PHONE, async (p) => {
  await p.goto(`${site.url}?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora`);
  const before = { ...(await settled(p)), text: await shownText(p) };
  const field = p.locator('#dataset_size');
  await field.scrollIntoViewIfNeeded();
  await field.fill('80000');
  await field.blur();
  const after = await nextAnswer(p, before.text);
  assert.equal(after.result.time.dataset_size, 80000);
  const inView = (sel) => p.evaluate((s) => {
    const el = document.querySelector(s);
    if (!el || !el.checkVisibility()) return false;
    const b = el.getBoundingClientRect();
    return b.bottom > 0 && b.top < window.innerHeight;
  }, sel);
  await p.waitForFunction(() => !document.querySelector('#sticky-summary').hidden);
  assert.ok(await inView('#sticky-summary'), 'the summary bar is on screen');
  assert.match(await p.locator('#sticky-text').innerText(), /^Fits/);
  assert.match(await p.locator('#sticky-text').innerText(), /about \d/); // the new training time
  // Its button brings the verdict itself back.
  await p.locator('#sticky-show').click();
  await p.waitForFunction(() => {
    const b = document.querySelector('.verdict').getBoundingClientRect();
    return b.top >= 0 && b.bottom <= window.innerHeight;
  });
}));

test('a typed model name, then a press on a method: the method does not move under the pointer', () => withPage(DESKTOP, async (p) => {
  await p.setViewportSize({ width: 1366, height: 1500 });
  await p.goto(`${site.url}?gpu=t4&model=meta-llama%2FLlama-3.1-8B&adapter=lora`);
  await settled(p);
  const before = await shownText(p);
  // A model from the link is described in the hint once the catalog answered.
  await p.waitForFunction(() => document.querySelector('#model-hint').textContent !== '');
  await p.locator('#model').fill('qwen2.5 7b');  // typed, not picked from the list
  const radio = p.locator('input[name=adapter][value=qlora]');
  const where = async () => { const b = await radio.boundingBox(); return { x: b.x + b.width / 2, y: b.y + b.height / 2 }; };
  const pressed = await where();
  await p.mouse.move(pressed.x, pressed.y);
  await p.mouse.down();
  assert.deepEqual(await where(), pressed, 'nothing above the radio changed while it is pressed');
  await p.mouse.up();
  assert.equal(await radio.isChecked(), true, 'one press chose QLoRA');
  // The typed name is then taken as typed: the hint clears and the answer is for it.
  await p.waitForFunction(() => document.querySelector('#model-hint').textContent === '');
  const next = JSON.parse(await (async () => { await nextAnswer(p, before); return shownText(p); })());
  assert.equal(next.request.adapter_type, 'qlora');
}));

test('desktop: Enter in a field keeps the verdict visible', () => withPage(DESKTOP, async (p) => {
  await p.setViewportSize({ width: 1366, height: 600 });
  await p.goto(`${site.url}?gpu=t4&model=meta-llama%2FLlama-3.1-8B&adapter=qlora`);
  const before = { ...(await settled(p)), text: await shownText(p) };
  await p.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await p.locator('#max_seq_length').fill('512');
  await p.locator('#max_seq_length').press('Enter');
  await nextAnswer(p, before.text);
  await p.waitForFunction(() => {
    const b = document.querySelector('.verdict').getBoundingClientRect();
    return b.top >= 0 && b.bottom <= window.innerHeight;
  });
}));

test('does not fit: a plan of clickable options, no table that looks runnable, a readable bar', () => withPage(PHONE, async (p) => {
  await p.goto(`${site.url}?gpu=t4&model=meta-llama%2FLlama-3.1-70B&adapter=none`);
  const s = { ...(await settled(p)), text: await shownText(p) };
  assert.equal(s.state, 'ready', s.error);
  assert.equal(s.result.fits, false);
  assert.match(await p.locator('.verdict').innerText(), /Does not fit/);
  assert.equal(await p.locator('[data-cfg]').count(), 0, 'no configuration card');
  assert.equal(await p.locator('button[data-export]').count(), 0, 'no downloads');
  assert.equal(await p.locator('table.hp').isVisible(), false, 'the settings tried are folded away');
  // The bar's labels stay on the card.
  const card = await p.locator('figure.vram').boundingBox();
  for (const label of await p.locator('.vram-scale span').all()) {
    const b = await label.boundingBox();
    assert.ok(b.x >= card.x - 1 && b.x + b.width <= card.x + card.width + 1, `"${await label.innerText()}" stays on the card`);
  }
  await p.waitForSelector('.fit-plan[data-probed=true]');
  const options = p.locator('button.fit-option');
  assert.ok(await options.count() >= 1, 'at least one option');
  const labels = await options.allInnerTexts();
  assert.ok(labels.some((l) => /QLoRA/.test(l)), labels.join(' | '));
  await options.first().click();
  const next = await nextAnswer(p, s.text);
  assert.equal(next.state, 'ready', next.error);
  assert.equal(next.result.fits, true, 'the option offered fits');
  assert.equal(new URL(p.url()).searchParams.get('model'), 'meta-llama/Llama-3.1-70B');
}));

test('does not fit: the engine\'s options, in plain words, each making the request one that fits', () => withPage(DESKTOP, async (p) => {
  const query = 'gpu=t4&model=meta-llama%2FLlama-3.1-8B&adapter=lora&allow_qlora=false';
  await p.goto(`${site.url}?${query}`);
  const s = { ...(await settled(p)), text: await shownText(p) };
  assert.equal(s.result.fits, false);
  const given = s.result.does_not_fit.options || [];
  assert.ok(given.length >= 1, 'the engine offers options');
  await p.waitForSelector('.fit-plan[data-probed=true]');
  const kinds = await p.locator('button.fit-option').evaluateAll((els) => els.map((e) => e.dataset.kind));
  assert.deepEqual(kinds, given.map((o) => o.kind));
  for (const label of await p.locator('button.fit-option').allInnerTexts()) assert.ok(!/\(zero|\(ddp|\(fsdp| x /.test(label), label);
  for (const [i, option] of given.entries()) {
    if (i > 0) {
      await p.goto(`${site.url}?${query}`);
      await settled(p);
      await p.waitForSelector('.fit-plan[data-probed=true]');
    }
    const before = await shownText(p);
    await p.locator('button.fit-option').nth(i).click();
    const next = await nextAnswer(p, before);
    assert.equal(next.result.fits, true, `option ${option.kind} fits`);
    // A plan replaces the GPU the request named.
    if (option.request_patch.plan) assert.equal(new URL(p.url()).searchParams.get('gpu'), null);
  }
}));

test('errors speak the form\'s language and focus the field', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}?gpu=t4&model=llama2-7b&num_gpus=0`);
  const s = await settled(p);
  assert.equal(s.state, 'error');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'num_gpus');
  const shown = await p.locator('#field-error').innerText();
  assert.ok(!/num_gpus/.test(shown), shown);
  assert.match(shown, /Number of GPUs/);
  assert.equal(await p.locator('#num_gpus').getAttribute('aria-describedby'), 'field-error');
}));

test('downloads are named after the model, the method and the GPU', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}?platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora`);
  await settled(p);
  await p.waitForFunction(() => !document.querySelector('button[data-export=axolotl]').disabled);
  const [download] = await Promise.all([p.waitForEvent('download'), p.locator('button[data-export=axolotl]').click()]);
  assert.match(download.suggestedFilename(), /^llama-3\.1-8b-qlora-t4-axolotl\.ya?ml$/);
}));

test('prices are dated and sourced by the cost; memory says its unit', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}?platform=runpod&plan=rtx-4090&model=meta-llama%2FLlama-3.1-8B&adapter=lora`);
  await settled(p);
  await p.waitForFunction(() => /price as of \d{4}/.test(document.querySelector('#sec-time').textContent));
  assert.match(await p.locator('#sec-time').innerText(), /source: /);
  assert.match(await p.locator('#sec-memory').innerText(), /GB of 10⁹ bytes/);
}));

test('a vision-language task on a text-only model warns', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}?gpu=t4&model=meta-llama%2FLlama-3.1-8B&task=vision_language&adapter=qlora`);
  await settled(p);
  await p.waitForSelector('.task-warning');
  assert.match(await p.locator('.task-warning').innerText(), /text only/);
}));

async function axeViolations(p) {
  await p.addScriptTag({ path: path.join(root, 'node_modules', 'axe-core', 'axe.min.js') });
  const res = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['light', 'dark']) {
  test(`axe-core: no serious or critical violations, ${scheme} theme`, () => withPage(DESKTOP, async (p) => {
    await p.emulateMedia({ colorScheme: scheme });
    for (const query of ['platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora', 'gpu=t4&model=meta-llama%2FLlama-3.1-70B&adapter=none', 'gpu=t4&model=llama2-7b&num_gpus=0']) {
      await p.goto(`${site.url}?${query}`);
      await settled(p);
      await p.waitForTimeout(300); // the export buttons and catalog facts arrive after the answer
      for (const d of await p.locator('details').all()) await d.evaluate((el) => { el.open = true; });
      assert.deepEqual(await axeViolations(p), [], query);
    }
  }));
}

// A model outside the catalog whose name states its size gets an answer sized
// from it, and the page says so; gpt-oss's hint says its experts are 4-bit only
// with Unsloth's checkpoint, and its answer under the transformers stack is LoRA.
test('a name outside the catalog is sized from the size it states; gpt-oss says how its experts load', () => withPage(DESKTOP, async (p) => {
  await p.goto(`${site.url}?gpu=a100-80gb&model=Qwen%2FQwen3.5-9B&adapter=lora`);
  const sized = await settled(p);
  assert.equal(sized.state, 'ready');
  assert.equal(sized.result.request.model_source, 'name');
  assert.match(await p.locator('#results').innerText(), /is not in the catalog: sized from the 9\.00B its name states/);

  await p.goto(`${site.url}?gpu=h100-80gb&model=openai%2Fgpt-oss-20b&adapter=qlora`);
  const oss = await settled(p);
  assert.equal(oss.state, 'ready');
  assert.equal(oss.result.hyperparameters.adapter_type, 'lora');
  assert.equal(oss.result.hyperparameters.attn_implementation, 'eager');
  await p.waitForFunction(() => /4-bit only with Unsloth/.test(document.querySelector('#model-hint').textContent));

  // The trainer picked under Advanced: Unsloth's own NF4 checkpoint keeps QLoRA, and the link carries it.
  const before = await shownText(p);
  await p.locator('#advanced summary').click();
  await p.locator('#framework').selectOption('unsloth');
  const unsloth = JSON.parse(await (async () => { await nextAnswer(p, before); return shownText(p); })());
  assert.equal(unsloth.request.framework, 'unsloth');
  assert.equal(unsloth.hyperparameters.adapter_type, 'qlora');
  await p.waitForFunction(() => new URL(location.href).searchParams.get('framework') === 'unsloth');
  await p.goto(`${site.url}?gpu=t4&model=meta-llama%2FLlama-3.1-8B&adapter=qlora&framework=unsloth`);
  const linked = await settled(p);
  assert.equal(linked.result.framework.id ?? linked.result.request.framework, 'unsloth');
  assert.equal(await p.locator('#framework').inputValue(), 'unsloth');
  assert.equal(await p.locator('#advanced').evaluate((d) => d.open), true);
}));
