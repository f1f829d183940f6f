#!/usr/bin/env node
// Runs the test rings with node's own test runner (through tsx, so tests stay TypeScript).
// Usage: run-tests.mjs [unit|integration|conformance ...]; no argument runs every ring.
// Node 20's --test takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const rings = process.argv.slice(2);
const roots = rings.length > 0 ? rings.map((r) => join('test', r)) : ['test/unit', 'test/integration', 'test/conformance'];
const files = [];
const walk = (dir) => {
  let names;
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names.sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (n.endsWith('.test.ts')) files.push(p);
  }
};
for (const r of roots) walk(r);
// Unit tests living beside the code.
if (rings.length === 0 || rings.includes('unit')) walk('src');
if (files.length === 0) {
  console.error('run-tests: no test files found under', roots.join(', '));
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
