import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { parseDuration } from '../../../src/config/duration.js';
import { detectCgroupDriver } from '../../../src/config/cgroup-driver.js';
import { CritterError } from '../../../src/util/errors.js';

function withFile(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'critter-config-'));
  try {
    const file = join(dir, 'critter.toml');
    writeFileSync(file, text);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rejects(text: string, ...fragments: string[]): void {
  withFile(text, (file) => {
    assert.throws(
      () => loadConfig({ configFile: file }),
      (e: unknown) => {
        assert.ok(e instanceof CritterError, `expected a CritterError, got ${String(e)}`);
        assert.equal(e.kind, 'InvalidArgument');
        assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
        for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" mentions "${f}"`);
        return true;
      },
    );
  });
}

test('embedded defaults when the default file is absent', () => {
  const c = loadConfig({ root: '/r', state: '/s', socket: '/s/c.sock', detectDriver: () => 'cgroupfs' });
  assert.ok(c.source === 'embedded defaults' || c.source === '/etc/critter/critter.toml');
  assert.equal(c.root, '/r');
  assert.equal(c.runtime.defaultHandler, 'runc');
  assert.equal(c.runtime.handlers.runc?.runtimePath, '/usr/sbin/runc');
  assert.equal(c.runtime.handlers.crun?.runtimeRoot, '/s/runtime/crun');
  assert.equal(c.image.maxConcurrentDownloads, 3);
  assert.equal(c.image.pullProgressTimeoutMs, 60_000);
  assert.deepEqual(c.network.cniBinDirs, ['/usr/lib/cni', '/opt/cni/bin']);
  assert.equal(c.cgroup.driver, 'cgroupfs');
});

test('a missing named config file is an error', () => {
  assert.throws(() => loadConfig({ configFile: '/nonexistent/critter.toml' }), /config \/nonexistent\/critter.toml: cannot read/);
});

test('values from the file override the defaults and handlers are added', () => {
  withFile(
    `
[image]
max_concurrent_downloads = 5
pull_progress_timeout = "1m30s"
[runtime]
default_handler = "kata"
[runtime.handlers.kata]
runtime_path = "/opt/kata/bin/kata-runtime"
[cgroup]
driver = "systemd"
[network]
cni_bin_dirs = ["/opt/cni/bin"]
`,
    (file) => {
      const c = loadConfig({ configFile: file, state: '/st' });
      assert.equal(c.source, file);
      assert.equal(c.image.maxConcurrentDownloads, 5);
      assert.equal(c.image.pullProgressTimeoutMs, 90_000);
      assert.equal(c.runtime.defaultHandler, 'kata');
      assert.deepEqual(Object.keys(c.runtime.handlers).sort(), ['crun', 'kata', 'runc']);
      assert.equal(c.runtime.handlers.kata?.runtimeRoot, '/st/runtime/kata');
      assert.equal(c.cgroup.driver, 'systemd');
      assert.deepEqual(c.network.cniBinDirs, ['/opt/cni/bin']);
    },
  );
});

test('unknown sections and keys stop startup naming the key', () => {
  rejects('[imagez]\nx = 1\n', 'unknown key "imagez"');
  rejects('[image]\nmax_downloads = 1\n', 'unknown key "image.max_downloads"');
  rejects('[runtime.handlers.runc]\nruntime_path = "/usr/sbin/runc"\nroot = "/x"\n', 'unknown key "runtime.handlers.runc.root"');
});

test('bad values stop startup naming the key and the reason', () => {
  rejects('[image]\nmax_concurrent_downloads = 0\n', '"image.max_concurrent_downloads"', 'between 1 and 64');
  rejects('[image]\nmax_concurrent_downloads = "3"\n', '"image.max_concurrent_downloads"', 'expected an integer');
  rejects('[network]\ncni_conf_dir = "relative/dir"\n', '"network.cni_conf_dir"', 'absolute path');
  rejects('[cgroup]\ndriver = "cgroupv3"\n', '"cgroup.driver"', 'must be one of');
  rejects('[image]\npull_progress_timeout = "soon"\n', '"image.pull_progress_timeout"', 'duration');
  rejects('[network]\ncni_bin_dirs = "/opt/cni/bin"\n', '"network.cni_bin_dirs"', 'array of strings');
  rejects('[runtime]\ndefault_handler = "nope"\n', '"runtime.default_handler"', '"nope"');
  rejects('[runtime.handlers.Bad_Name]\nruntime_path = "/x"\n', 'Bad_Name', 'DNS label');
  rejects('[runtime.handlers.gvisor]\nruntime_type = "oci"\n', '"runtime.handlers.gvisor.runtime_path" is required');
  rejects('image = 3\n', '"image" must be a table');
});

test('invalid TOML names the line', () => {
  rejects('[image\nx = 1\n', 'not valid TOML', 'line 1');
});

test('durations', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('5m junk'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('cgroup driver detection follows PID 1', () => {
  assert.equal(detectCgroupDriver(() => 'systemd\n'), 'systemd');
  assert.equal(detectCgroupDriver(() => 'tini\n'), 'cgroupfs');
  assert.equal(
    detectCgroupDriver(() => {
      throw new Error('no /proc');
    }),
    'cgroupfs',
  );
});
