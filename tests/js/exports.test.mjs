// The export module (ftconfig-export.wasm) renders the golden export files
// (tests/golden/exports/<case>/) exactly as the native exporter does: same
// request.json and response.json in, the same bytes out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { npmDir, root } from './helpers.mjs';

const goldenDir = path.join(root, 'tests', 'golden', 'exports');
const FILES = { notebook: 'notebook.ipynb', axolotl: 'axolotl.yaml', llamafactory: 'llamafactory.yaml', trl: 'trl.json', script: 'script.py' };
const available = fs.existsSync(path.join(npmDir, 'ftconfig-export.wasm')) && fs.existsSync(goldenDir);

// The raw module: api.js always passes the engine's own response, the golden
// files need the stored one.
async function exportModule() {
  const { default: factory } = await import(pathToFileURL(path.join(npmDir, 'ftconfig-export.js')).href);
  const compiled = await WebAssembly.compile(fs.readFileSync(path.join(npmDir, 'ftconfig-export.wasm')));
  return factory({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
      return {};
    },
  });
}

describe('exports: WASM = native golden files', { skip: !available && 'no export module or golden exports' }, () => {
  let m;
  before(async () => {
    m = await exportModule();
  });

  const cases = available ? fs.readdirSync(goldenDir).filter((c) => fs.existsSync(path.join(goldenDir, c, 'response.json'))) : [];
  for (const c of cases) {
    test(c, () => {
      const request = fs.readFileSync(path.join(goldenDir, c, 'request.json'), 'utf8');
      const response = fs.readFileSync(path.join(goldenDir, c, 'response.json'), 'utf8');
      for (const [format, file] of Object.entries(FILES)) {
        const golden = path.join(goldenDir, c, file);
        if (!fs.existsSync(golden)) continue;
        const envelope = JSON.parse(m.exportConfig(request, response, format));
        assert.equal(envelope.ok, true, `${format}: ${JSON.stringify(envelope.error)}`);
        assert.equal(envelope.value.text, fs.readFileSync(golden, 'utf8'), `${c}/${file}`);
      }
    });
  }

  test('errors are values', () => {
    const bad = JSON.parse(m.exportConfig('{}', '[]', 'axolotl'));
    assert.equal(bad.ok, false);
    assert.equal(JSON.parse(m.exportConfig('{"model":"x"}', '{}', 'pdf')).error.code, 'invalid_value');
    assert.ok(JSON.parse(m.formats()).value.length >= 5);
  });
});
