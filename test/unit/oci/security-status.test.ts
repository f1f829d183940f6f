// Status' per-handler features: what each handler's runtime proves, nothing more, and false for
// a handler whose runtime cannot say or fails to.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { handlerCapabilities, RuntimeStatusService, type HandlerCapabilities } from '../../../src/daemon/runtime-status.js';
import { supportsRecursiveReadOnly, supportsUserNamespaces, type RuntimeFeatures } from '../../../src/oci/features.js';

const dir = mkdtempSync(join(tmpdir(), 'critter-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('features per handler come from the runtime, failures and silence claim nothing', async () => {
  const file = join(dir, 'critter.toml');
  writeFileSync(file, '');
  const config = loadConfig({ configFile: file, root: join(dir, 'root'), state: join(dir, 'state'), detectDriver: () => 'cgroupfs' });
  const names = Object.keys(config.runtime.handlers).sort();
  assert.ok(names.length >= 2, `two handlers configured by default: ${names.join(', ')}`);
  const [a, b] = names as [string, string];
  const drivers = new Map<string, HandlerCapabilities>([
    [a, { supportsRecursiveReadOnly: () => Promise.resolve(true), supportsUserNamespaces: () => Promise.reject(new Error('runtime timed out')) }],
  ]);
  const s = new RuntimeStatusService(config, drivers);
  s.note('apparmor', 'not available on this host');
  const st = await s.status();
  assert.deepEqual(st.handlers.find((h) => h.name === a), { name: a, recursiveReadOnlyMounts: true, userNamespaces: false });
  assert.deepEqual(st.handlers.find((h) => h.name === b), { name: b, recursiveReadOnlyMounts: false, userNamespaces: false });
  assert.equal(st.notes.apparmor, 'not available on this host');
});

test('what runc 1.1.5 and crun 1.8.1 report here earns them', () => {
  // runc 1.1.5: rro known, user namespaces but no idmap extension; crun 1.8.1: no report at all.
  const runc: RuntimeFeatures = { mountOptions: ['ro', 'rro'], linux: { namespaces: ['user', 'mount'] } };
  assert.equal(supportsRecursiveReadOnly(runc, '6.1.0'), true);
  assert.equal(supportsRecursiveReadOnly(runc, '5.10.0'), false);
  assert.equal(supportsUserNamespaces(runc, '6.1.0'), false);
  assert.equal(supportsUserNamespaces(null, '6.1.0'), false);
  const runc12: RuntimeFeatures = { linux: { namespaces: ['user'], mountExtensions: { idmap: { enabled: true } } } };
  assert.equal(supportsUserNamespaces(runc12, '6.1.0'), true);
});

test("user namespaces as critter serves them: the runtime's user namespaces and critter's own idmapping", async () => {
  // critter idmaps the rootfs and volumes itself, so the runtime's idmap extension is not asked for.
  const runc: RuntimeFeatures = { mountOptions: ['ro', 'rro'], linux: { namespaces: ['user', 'mount'] } };
  const driver = (f: RuntimeFeatures | null) => ({ supportsRecursiveReadOnly: () => Promise.resolve(true), features: () => Promise.resolve(f) });
  const ok = () => Promise.resolve({ ok: true as const });
  const no = () => Promise.resolve({ ok: false as const, reason: 'no idmapped overlay layers' });
  assert.equal(await handlerCapabilities(driver(runc), ok).supportsUserNamespaces(), true);
  assert.equal(await handlerCapabilities(driver(runc), no).supportsUserNamespaces(), false);
  assert.equal(await handlerCapabilities(driver(null), ok).supportsUserNamespaces(), false);
  assert.equal(await handlerCapabilities(driver({ linux: { namespaces: ['mount'] } }), ok).supportsUserNamespaces(), false);
  assert.equal(await handlerCapabilities(driver(runc), ok).supportsRecursiveReadOnly(), true);
});
