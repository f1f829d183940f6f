// docs/config.md must document every key the schema knows, with its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLER_KEYS, SECTIONS } from '../../../src/config/schema.js';
import { DEFAULTS } from '../../../src/config/defaults.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'config.md'), 'utf8');

test('every config key is documented with its default', () => {
  for (const [section, keys] of Object.entries(SECTIONS)) {
    assert.ok(doc.includes(`[${section}]`), `docs/config.md has a [${section}] section`);
    for (const key of Object.keys(keys)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${key}\``));
      assert.ok(row, `docs/config.md documents ${section}.${key}`);
      const def = (DEFAULTS as unknown as Record<string, Record<string, unknown>>)[section]![key];
      assert.ok(row.includes(JSON.stringify(def)), `the row of ${section}.${key} gives its default ${JSON.stringify(def)}: ${row}`);
    }
  }
  for (const key of Object.keys(HANDLER_KEYS)) {
    assert.ok(doc.split('\n').some((l) => l.startsWith(`| \`${key}\``)), `docs/config.md documents handler key ${key}`);
  }
});
