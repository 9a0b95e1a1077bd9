// The bad-input table (tests/fixtures/bad-input/cases.json) through the
// WebAssembly module: every case throws FtconfigError with its documented
// code and field (tests/engine/bad_input_test.cpp runs it natively).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';

import { loadApi, loadEngine, root } from './helpers.mjs';

const table = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'fixtures', 'bad-input', 'cases.json'), 'utf8'));

let api;
let engine;
before(async () => {
  api = await loadApi();
  engine = await loadEngine();
});

test('the table has at least 60 cases', () => {
  assert.ok(table.cases.length >= 60, `${table.cases.length} cases`);
});

for (const c of table.cases) {
  test(`${c.api}: ${c.name} -> ${c.code} (${c.field || 'no field'})`, () => {
    let caught;
    try {
      // JSON text, as the page and the CLI hand it over.
      engine[c.api](JSON.stringify(c.input));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof api.FtconfigError, `expected FtconfigError, got ${caught}`);
    assert.equal(caught.code, c.code, caught.message);
    assert.equal(caught.field, c.field, caught.message);
  });
}
