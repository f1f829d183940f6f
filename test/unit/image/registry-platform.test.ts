import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostPlatform, normalizePlatform, selectPlatformIndex, type Platform } from '../../../src/image/registry/platform.js';
import { CritterError } from '../../../src/util/errors.js';

const entries = (...ps: (Platform | undefined)[]) => ps.map((platform) => ({ platform }));

void describe('platform selection', () => {
  void it('maps this machine to an OCI platform', () => {
    const p = hostPlatform();
    assert.equal(p.os, 'linux');
    if (process.arch === 'x64') assert.deepEqual(p, { os: 'linux', architecture: 'amd64' });
    if (process.arch === 'arm64') assert.deepEqual(p, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  void it('normalises aliases', () => {
    assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'x86_64' }), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: '8' }), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'armhf' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  void it('picks linux/amd64 and skips entries without platform', () => {
    const list = entries(undefined, { os: 'windows', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' });
    assert.equal(selectPlatformIndex(list, { os: 'linux', architecture: 'amd64' }), 3);
  });

  void it('arm64/v8 matches an entry without variant, and the reverse', () => {
    assert.equal(selectPlatformIndex(entries({ os: 'linux', architecture: 'arm64' }), { os: 'linux', architecture: 'arm64', variant: 'v8' }), 0);
    assert.equal(selectPlatformIndex(entries({ os: 'linux', architecture: 'arm64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' }), 0);
  });

  void it('arm v7 prefers v7 but runs v6 and v5; v6 does not run v7', () => {
    const list = entries({ os: 'linux', architecture: 'arm', variant: 'v5' }, { os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.equal(selectPlatformIndex(list, { os: 'linux', architecture: 'arm', variant: 'v7' }), 2);
    assert.equal(selectPlatformIndex(list.slice(0, 2), { os: 'linux', architecture: 'arm', variant: 'v7' }), 1);
    assert.throws(() => selectPlatformIndex(list.slice(2), { os: 'linux', architecture: 'arm', variant: 'v6' }));
  });

  void it('amd64 "v1" is plain amd64', () => {
    assert.equal(selectPlatformIndex(entries({ os: 'linux', architecture: 'amd64', variant: 'v1' }), { os: 'linux', architecture: 'amd64' }), 0);
  });

  void it('NotFound lists what is available', () => {
    assert.throws(
      () => selectPlatformIndex(entries({ os: 'linux', architecture: 's390x' }, { os: 'windows', architecture: 'amd64' }), { os: 'linux', architecture: 'amd64' }),
      (e: unknown) =>
        e instanceof CritterError && e.kind === 'NotFound' && /linux\/amd64/.test(e.message) && /linux\/s390x, windows\/amd64/.test(e.message),
    );
  });
});
