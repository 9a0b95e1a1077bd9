#!/usr/bin/env node
// Screenshots of the built site for a look by eye (not a test): desktop and
// phone widths, the page in viewport-sized slices, plus the widget page.
//
//   node scripts/screenshot-site.mjs [--out build/screenshots] [--query "gpu=T4&model=..."]
import fs from 'node:fs';
import path from 'node:path';

import { launch, openPage, root, serveSite, settled } from '../tests/browser/browser.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const out = path.resolve(opt('--out', path.join(root, 'build', 'screenshots')));
const query = opt('--query', '');
const slices = Number(opt('--slices', 4));
fs.mkdirSync(out, { recursive: true });

const VIEWS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
];

const site = await serveSite('/ftconfig/');
const written = [];
try {
  for (const view of VIEWS) {
    const browser = await launch(view);
    try {
      const page = await openPage(browser.context);
      await page.goto(`${site.url}${query ? `?${query}` : ''}`);
      const state = await settled(page);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      for (let i = 0; i < slices && i * view.viewport.height < height; i++) {
        const file = path.join(out, `${view.name}-${i}.png`);
        await page.screenshot({ path: file, clip: { x: 0, y: i * view.viewport.height, width: view.viewport.width, height: Math.min(view.viewport.height, height - i * view.viewport.height) }, fullPage: true });
        written.push(file);
      }
      const docs = await openPage(browser.context);
      await docs.goto(`${site.url}examples/docs-page.html`);
      await docs.waitForFunction(() => document.querySelector('ftconfig-recommender').getAttribute('data-state') === 'ready');
      await docs.evaluate(() => document.querySelector('#rtx-4090').scrollIntoView());
      await docs.waitForFunction(() => document.querySelector('#rtx-4090').getAttribute('data-state') === 'ready');
      await docs.evaluate(() => window.scrollTo(0, 0));
      const file = path.join(out, `${view.name}-docs-page.png`);
      await docs.screenshot({ path: file, fullPage: true });
      written.push(file);
      const problems = [...page.problems, ...docs.problems];
      console.log(`${view.name}: state ${state.state}, page height ${height}px${problems.length ? `; problems: ${problems.join(' | ')}` : ''}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await site.close();
}
console.log(written.map((f) => path.relative(root, f)).join('\n'));
