// The learning loop in the browser (headless Chromium): every recommendation
// is logged in IndexedDB, feedback is saved and exported, the export imports
// with the native CLI, upload is off by default and, once enabled, posts to a
// loopback `ftconfig collect` (CORS), and after enough feedback strategy
// "auto" shows the learning brain's decision. Without IndexedDB the site still
// works and says that logging is off. No console errors anywhere.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';

import { launch, openPage, root, serveSite, settled, withFreshBrowser } from './browser.mjs';

const cli = process.env.FTCONFIG_CLI || path.join(root, 'build', 'bin', 'ftconfig');
const TOKEN = 'browser-test-token-123';
const REQUEST = { platform: 'colab', plan: 'free', model: 'meta-llama/Llama-3.1-8B', task_type: 'instruction_following', adapter_type: 'qlora' };

function runCli(args) {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** `ftconfig collect` on a free loopback port; resolves to {url, store, stop()}. */
async function startCollector(dir, origin) {
  const store = path.join(dir, 'collector.db');
  const child = spawn(cli, ['collect', '--listen', '127.0.0.1:0', '--store', store, '--token-env', 'FTCONFIG_BROWSER_TEST_TOKEN',
    '--rate-limit', '0', '--allow-origin', origin], { env: { ...process.env, FTCONFIG_BROWSER_TEST_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('collector did not start in 10 s')), 10000);
    readline.createInterface({ input: child.stdout }).once('line', (l) => { clearTimeout(timer); resolve(l); });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
  const { listening } = JSON.parse(line);
  return {
    url: `http://${listening}`,
    store,
    stored: () => runCli(['telemetry', 'status', '--store', store]).json().events,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

// The page saves files through blob URLs and <a download>; the browser
// context records each blob with the name the page gave it.
async function recordDownloads(context) {
  await context.addInitScript(() => {
    window.__downloads = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      if (this.download && this.href.startsWith('blob:')) {
        window.__downloads.push(fetch(this.href).then(async (r) => ({ name: this.download, type: r.headers.get('content-type'), text: await r.text() })));
        return undefined; // the test reads it; no file dialog
      }
      return click.call(this);
    };
  });
}

/** The n-th file the page saved (1-based). */
async function nthDownload(p, n) {
  await p.waitForFunction((k) => window.__downloads.length >= k, n);
  return p.evaluate(async (k) => window.__downloads[k - 1], n);
}

// Synthetic feedback through the page's engine client: the plain auto
// strategy ran out of memory five times, deterministic worked five times.
async function giveFeedbackAgainst(p, plain) {
  await p.evaluate(async ({ request, plain }) => {
    const c = window.ftconfigEngine;
    for (let i = 0; i < 5; i++) {
      const bad = await c.call('recommendLogged', { ...request, strategy: plain });
      await c.call('logFeedback', bad.event_id, { rating: 2, outcome: 'oom' });
      const good = await c.call('recommendLogged', { ...request, strategy: 'deterministic' });
      await c.call('logFeedback', good.event_id, { rating: 5, outcome: 'success' });
    }
  }, { request: REQUEST, plain });
}

function assertNoProblems(p) {
  assert.deepEqual(p.problems, [], 'no console errors, page errors or failed requests');
}

async function logCount(p, atLeast) {
  await p.waitForFunction((n) => {
    const el = document.querySelector('#log-status');
    return el.dataset.logging === 'on' && Number(el.dataset.count) >= n;
  }, atLeast, { timeout: 15000 });
  return p.evaluate(() => Number(document.querySelector('#log-status').dataset.count));
}

describe('the learning loop', { skip: !fs.existsSync(cli) && `no CLI at ${cli}` }, () => {
  let site;
  let browser;
  let dir;
  let collector;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftconfig-learning-'));
    site = await serveSite('/');
    browser = await launch();
    await recordDownloads(browser.context);
    collector = await startCollector(dir, new URL(site.url).origin);
  });
  after(async () => {
    if (collector) await collector.stop();
    if (browser) await browser.close();
    if (site) await site.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a recommendation is logged, feedback is saved and exported, and the export imports with the CLI', async () => {
    const p = await openPage(browser.context);
    await p.goto(site.url);
    const s = await settled(p);
    assert.equal(s.state, 'ready', s.error);
    assert.equal(await logCount(p, 1), 1);
    const row = p.locator('#log-table tbody tr[data-event=recommendation]');
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Llama-3\.1-8B/);
    assert.match(await row.locator('td').first().innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // Feedback with the keyboard: arrow keys move within a radio group
    // (the form is folded under the answer).
    await p.locator('#sec-feedback > summary').click();
    await p.locator('input[name=fb-rating][value="1"]').focus();
    for (let i = 0; i < 3; i++) await p.keyboard.press('ArrowRight');
    assert.ok(await p.locator('input[name=fb-rating][value="4"]').isChecked());
    await p.locator('input[name=fb-outcome][value=success]').focus();
    await p.keyboard.press('Space');
    await p.locator('#fb-notes').fill('ran fine on the free T4, 2 h');
    await p.locator('#fb-submit').focus();
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => /Feedback saved/.test(document.querySelector('#fb-status').textContent));
    assert.match(await p.locator('#fb-status').innerText(), /label 0\.775/);
    // Using it (downloading the JSON) is an interaction with label 1.0.
    await p.locator('#download-json').click();
    const json = await nthDownload(p, 1);
    assert.equal(json.name, 'llama-3.1-8b-qlora-t4.json'); // model, method, GPU
    assert.deepEqual(JSON.parse(json.text).hyperparameters, s.result.hyperparameters);
    await p.locator('#fb-save').click();
    // recommendation + feedback + rated + downloaded + saved
    assert.equal(await logCount(p, 5), 5);

    await p.locator('#log-export').click();
    const download = await nthDownload(p, 2);
    assert.equal(download.name, 'ftconfig-log.jsonl');
    assert.equal(download.type, 'application/x-ndjson');
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, download.text);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const events = lines.map((l) => JSON.parse(l));
    const byType = (t) => events.filter((e) => e.event === t);
    assert.equal(byType('recommendation').length, 1);
    const rec = byType('recommendation')[0];
    assert.equal(rec.source, 'browser');
    assert.equal(rec.request.model, REQUEST.model);
    assert.equal(rec.strategy, s.result.strategy.used);
    assert.deepEqual(rec.response.hyperparameters, s.result.hyperparameters);
    const fb = byType('feedback')[0];
    assert.deepEqual([fb.rating, fb.outcome, fb.notes, fb.recommendation_event_id], [4, 'success', 'ran fine on the free T4, 2 h', rec.event_id]);
    assert.deepEqual(byType('interaction').map((e) => [e.action, e.label]).sort(), [['rated', 0.775], ['saved', 0.8], ['used', 1]]);

    // The native CLI takes the browser's export as it is.
    const store = path.join(dir, 'local.db');
    const imp = runCli(['telemetry', 'import', file, '--store', store]);
    assert.equal(imp.code, 0, imp.out + imp.err);
    assert.deepEqual([imp.json().lines, imp.json().stored, imp.json().rejected], [5, 5, 0]);
    const st = runCli(['telemetry', 'status', '--store', store]).json();
    assert.deepEqual(st.events_by_type, { feedback: 1, interaction: 3, recommendation: 1 });
    await p.close();
    assertNoProblems(p);
  });

  test('upload is off by default; once enabled it posts the log to the collector', async () => {
    const p = await openPage(browser.context);
    await p.goto(site.url);
    await settled(p);
    const before = await logCount(p, 6);
    assert.equal(await p.locator('#upload-optin').isChecked(), false);
    assert.equal(await p.locator('#upload-now').isDisabled(), true);
    assert.equal(collector.stored(), 0, 'nothing was sent');

    await p.locator('#upload > summary').click();
    await p.locator('#collector-url').fill(collector.url);
    await p.locator('#collector-url').press('Tab');
    await p.locator('#collector-token').fill(TOKEN);
    await p.locator('#collector-token').press('Tab');
    // The page says where and what it would send before anything is sent.
    assert.equal(await p.locator('#upload-target').innerText(), `${collector.url}/v1/events`);
    assert.match(await p.locator('#upload-what').innerText(), /What is sent/);
    const preview = JSON.parse(await p.locator('#upload-preview').textContent());
    assert.equal(preview.events.length, before);
    assert.equal(collector.stored(), 0);
    // The token is not remembered unless asked for.
    assert.equal(await p.evaluate(() => localStorage.getItem('ftconfig.collector.token')), null);

    await p.locator('#upload-optin').check();
    await p.waitForFunction(() => document.querySelector('#upload-status').dataset.state === 'done', null, { timeout: 15000 });
    assert.match(await p.locator('#upload-status').innerText(), new RegExp(`${before} new`));
    assert.equal(collector.stored(), before);
    // Nothing is sent twice; a new recommendation follows on its own.
    await p.locator('#task').selectOption('chat');
    await p.waitForFunction((n) => Number(document.querySelector('#log-status').dataset.count) === n + 1, before);
    await p.waitForFunction(() => /: 1 new/.test(document.querySelector('#upload-status').textContent), null, { timeout: 15000 });
    assert.equal(collector.stored(), before + 1);
    await p.waitForFunction(() => [...document.querySelectorAll('#log-table tbody tr td:last-child')].every((td) => td.textContent === 'yes'));
    // Opting out again stops it.
    await p.locator('#upload-optin').uncheck();
    assert.equal(await p.evaluate(() => localStorage.getItem('ftconfig.upload.optin')), null);
    await p.close();
    assertNoProblems(p);
  });

  test('after enough feedback, auto shows the learning brain\'s decision', async () => {
    const p = await openPage(browser.context);
    await p.goto(site.url);
    const first = await settled(p);
    const plain = first.result.strategy_decision.plain_auto;
    assert.notEqual(plain, 'deterministic');
    await giveFeedbackAgainst(p, plain);
    await p.reload();
    const s = await settled(p);
    const d = s.result.strategy_decision;
    assert.equal(d.applied, true, d.reason);
    assert.equal(d.chosen, 'deterministic');
    assert.equal(s.result.strategy.used, 'deterministic');
    assert.deepEqual(d.context, { task_type: 'instruction_following', adapter_type: 'qlora', model_size_bucket: 'large' });
    assert.ok(d.evidence.deterministic.feedback >= 5);
    assert.ok(d.evidence[plain].oom >= 5);
    assert.equal(d.min_evidence, 5);
    // On the page (under "How this was computed"): the decision, its reason and the counts.
    await p.locator('#sec-internals > summary').click();
    const brain = p.locator('#sec-brain .brain');
    assert.equal(await brain.getAttribute('data-applied'), 'true');
    assert.equal(await brain.getAttribute('data-chosen'), 'deterministic');
    assert.match(await p.locator('#sec-brain').innerText(), /learning brain/);
    assert.match(await p.locator('#sec-brain tr[data-strategy=deterministic]').innerText(), /deterministic/);
    await p.close();
    assertNoProblems(p);
  });
});

test('the first answer is shown before the log opens, and corrected when the log holds feedback the hint missed', () => withFreshBrowser('/', async ({ site, context }) => {
  const p = await openPage(context);
  await p.goto(site.url);
  await settled(p);
  // A fresh browser: the log reports no feedback, and the hint says so.
  await p.waitForSelector('input[name=fb-rating]', { state: 'attached' });
  assert.equal(await p.evaluate(() => localStorage.getItem('ftconfig.log.signals')), 'none');
  const plain = JSON.parse(await p.locator('#results').getAttribute('data-result')).strategy_decision.plain_auto;
  await giveFeedbackAgainst(p, plain);
  assert.equal(await p.evaluate(() => localStorage.getItem('ftconfig.log.signals')), 'some');
  // A log from before the hint existed: the quick answer has no evidence,
  // the logged one replaces it once IndexedDB has answered.
  await p.evaluate(() => localStorage.removeItem('ftconfig.log.signals'));
  await p.goto(`${site.url}?${new URLSearchParams({ platform: 'colab', plan: 'free', model: REQUEST.model, task: 'instruction', adapter: 'qlora' })}`);
  await settled(p);
  await p.waitForSelector('input[name=fb-rating]', { state: 'attached' });
  const final = JSON.parse(await p.locator('#results').getAttribute('data-result'));
  assert.equal(final.strategy_decision.applied, true, final.strategy_decision.reason);
  assert.equal(final.strategy.used, 'deterministic');
  assert.equal(await p.evaluate(() => localStorage.getItem('ftconfig.log.signals')), 'some');
  await p.close();
  assertNoProblems(p);
}));

test('without IndexedDB (private mode) the site works and says logging is off', () => withFreshBrowser('/', async ({ site, context }) => {
  await context.addInitScript(() => { window.ftconfigTestHooks = { noIndexedDB: true }; });
  const p = await openPage(context);
  await p.goto(site.url);
  const s = await settled(p);
  assert.equal(s.state, 'ready', s.error);
  await p.waitForFunction(() => document.querySelector('#log-status').dataset.logging === 'off');
  assert.match(await p.locator('#log-status').innerText(), /Logging is off/);
  await p.locator('#sec-feedback > summary').click();
  assert.match(await p.locator('#feedback-off').innerText(), /Logging is off/);
  assert.equal(await p.locator('#log-export').isDisabled(), true);
  // The form still answers.
  await p.locator('#task').selectOption('chat');
  await p.waitForFunction(() => {
    const el = document.querySelector('#results');
    return el.dataset.state === 'ready' && JSON.parse(el.dataset.result).request.task_type === 'chat';
  });
  await p.close();
  assertNoProblems(p);
}));
