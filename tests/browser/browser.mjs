// Shared by the browser tests, the screenshots and the benchmark: a static
// server for build/site and headless Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const siteDir = process.env.FTCONFIG_SITE_DIR ? path.resolve(process.env.FTCONFIG_SITE_DIR) : path.join(root, 'build', 'site');
export const chromiumPath = process.env.FTCONFIG_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

export function serveSite(base = '/', log = null) {
  if (!fs.existsSync(path.join(siteDir, 'index.html'))) throw new Error(`${siteDir}/index.html is missing: run scripts/build.sh --wasm`);
  return startServer({ root: siteDir, base, log });
}

/** A browser context on a fresh user-data-dir; close() removes it. */
export async function launch(options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ftconfig-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport || { width: 1280, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor || 1,
    isMobile: options.isMobile || false,
    hasTouch: options.hasTouch || false,
    serviceWorkers: options.serviceWorkers || 'allow',
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs fn({site, context}) with the site served under `base` and a browser of
 * its own (fresh profile), then closes both (the site may already be closed).
 */
export async function withFreshBrowser(base, fn) {
  const site = await serveSite(base);
  const browser = await launch();
  try {
    return await fn({ site, context: browser.context });
  } finally {
    await browser.close();
    await site.close().catch(() => {});
  }
}

export const DESKTOP = { viewport: { width: 1366, height: 900 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/**
 * Runs `fn(page)` in a fresh browser with `view` (DESKTOP, PHONE, ...), then
 * asserts the page logged no console errors, page errors or failed requests.
 */
export async function withPage(view, fn) {
  const browser = await launch(view);
  try {
    const p = await openPage(browser.context);
    await fn(p);
    assert.deepEqual(p.problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await browser.close();
  }
}

/** A new page that records console errors, page errors and failed requests. */
export async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  // A request the page itself cancelled (net::ERR_ABORTED: a navigation or a
  // worker replaced while the lazily loaded export module was in flight) is
  // not a failure; anything else that fails to load is.
  page.on('requestfailed', (req) => {
    const error = req.failure() && req.failure().errorText;
    if (error !== 'net::ERR_ABORTED') problems.push(`requestfailed: ${req.url()} ${error}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.problems = problems;
  return page;
}

/** Waits for the results container to settle; returns {state, result, error}. */
export async function settled(page, selector = '#results', timeout = 30000) {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el && (el.dataset.state === 'ready' || el.dataset.state === 'error') && el.getAttribute('aria-busy') !== 'true';
  }, selector, { timeout });
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return { state: el.dataset.state, result: el.dataset.result ? JSON.parse(el.dataset.result) : null, error: el.dataset.error || null };
  }, selector);
}

/**
 * For the cold-start benchmarks: call before page.goto(); resolves with the
 * page's performance.now() when #results first turns ready. Told through a
 * console message: polling for it (waitForFunction) would run Playwright's
 * injected script in the page while it starts.
 */
export async function firstReadyAt(page, timeout = 60000) {
  await page.addInitScript(() => {
    const watch = () => {
      const el = document.querySelector('#results');
      if (!el) return requestAnimationFrame(watch);
      new MutationObserver(() => {
        if (el.dataset.state === 'ready' && !window.__ftReadyAt) {
          window.__ftReadyAt = performance.now();
          console.log(`ftconfig-bench-ready ${window.__ftReadyAt}`);
        }
      }).observe(el, { attributes: true, attributeFilter: ['data-state'] });
    };
    document.addEventListener('DOMContentLoaded', watch);
  });
  const message = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('ftconfig-bench-ready '), timeout });
  message.catch(() => {}); // reported by the function below, if it is called
  return () => message.then((m) => Number(m.text().split(' ')[1]));
}
