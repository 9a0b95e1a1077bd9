#!/usr/bin/env node
// Screenshots of the built site's main states, for docs/web.md and for a look
// by eye (not a test): each state's first screen on a 1366×900 desktop and a
// 390×844 phone, the phone after an edit, and the widget page.
//
//   npm run screenshots                      # writes docs/screenshots/*.png
//   node scripts/screenshot-site.mjs [--out DIR] [--only NAME]
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage, root, serveSite, settled } from '../tests/browser/browser.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const out = path.resolve(opt('--out', path.join(root, 'docs', 'screenshots')));
const only = opt('--only', '');
fs.mkdirSync(out, { recursive: true });

const VIEWS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

// name -> what it shows. `then` runs after the answer settles.
const STATES = [
  { name: 'fits', views: ['desktop', 'phone'], query: 'platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora' },
  { name: 'fits-dark', views: ['desktop'], dark: true, query: 'platform=runpod&plan=rtx-4090&model=mistralai%2FMistral-7B-v0.3&adapter=lora' },
  {
    name: 'does-not-fit', views: ['desktop', 'phone'], query: 'gpu=t4&model=meta-llama%2FLlama-3.1-70B&adapter=none',
    then: (p) => p.waitForSelector('.fit-plan[data-probed=true]'),
  },
  { name: 'error', views: ['desktop'], query: 'gpu=t4&model=llama2-7b&num_gpus=0' },
  {
    name: 'after-edit', views: ['phone'], query: 'platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora',
    then: async (p) => {
      const field = p.locator('#dataset_size');
      await field.scrollIntoViewIfNeeded();
      await field.fill('80000');
      await field.blur();
      await p.waitForFunction(() => !document.querySelector('#sticky-summary').hidden);
    },
  },
  { name: 'memory', views: ['desktop'], query: 'platform=colab&plan=free&model=meta-llama%2FLlama-3.1-8B&adapter=qlora', section: '#sec-memory' },
];

const site = await serveSite('/ftconfig/');
const written = [];
try {
  for (const state of STATES.filter((s) => !only || s.name === only)) {
    for (const viewName of state.views) {
      const browser = await launch(VIEWS[viewName]);
      try {
        const page = await openPage(browser.context);
        if (state.dark) await page.emulateMedia({ colorScheme: 'dark' });
        await page.goto(`${site.url}?${state.query}`);
        await settled(page);
        await page.waitForTimeout(400); // exports and catalog facts arrive after the answer
        if (state.then) {
          await state.then(page);
          await settled(page);
          await page.waitForTimeout(300);
        }
        const file = path.join(out, `${state.name}-${viewName}.png`);
        if (state.section) await page.locator(state.section).screenshot({ path: file });
        else await page.screenshot({ path: file });
        written.push(file);
        if (page.problems.length) console.log(`${state.name}-${viewName}: ${page.problems.join(' | ')}`);
      } finally {
        await browser.close();
      }
    }
  }
  if (!only || only === 'widget') {
    const browser = await launch(VIEWS.desktop);
    try {
      const docs = await openPage(browser.context);
      await docs.goto(`${site.url}examples/docs-page.html`);
      await docs.waitForFunction(() => document.querySelector('ftconfig-recommender').getAttribute('data-state') === 'ready');
      const file = path.join(out, 'widget-desktop.png');
      await docs.screenshot({ path: file });
      written.push(file);
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
console.log(written.map((f) => path.relative(root, f)).join('\n'));
