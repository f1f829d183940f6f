// Retries, give-up, and cancellation of registry requests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '../../../src/image/reference.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/image/registry/client.js';
import { parseHostsToml } from '../../../src/image/registry/hosts.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { pushTinyImage, type PushedImage } from '../../harness/registry-image.js';
import { startRegistryProxy } from '../../harness/registry-proxy.js';

const kind = (k: string, re?: RegExp) => (e: unknown) => e instanceof CritterError && e.kind === k && (re === undefined || re.test(e.message));

function client(url: string, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  const { endpoints } = parseHostsToml(`server = "${url}"\n`, 'test/hosts.toml', '/tmp');
  return new RegistryClient({ endpoints, logger: silentLogger(), retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 }, ...extra });
}

void describe('registry resilience', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  const big = randomBytes(8 * 1024 * 1024);
  let bigDigest: string;

  before(async () => {
    reg = await startRegistry();
    img = await pushTinyImage(reg, 'r/app', 'v1');
    bigDigest = await reg.pushBlob('r/app', big);
  });
  after(async () => {
    await reg.stop();
  });

  for (const mode of ['reset', '503', '429'] as const) {
    void it(`retries through ${mode} responses`, async () => {
      const proxy = await startRegistryProxy({ upstream: reg.url, flaky: { count: 2, mode } });
      const c = client(proxy.url);
      try {
        const m = await c.fetchManifest(parseReference(`${proxy.host}/r/app:v1`));
        assert.equal(m.digest, img.manifestDigest);
        assert.equal(proxy.requests.filter((r) => r.path === '/v2/r/app/manifests/v1').length, 3);
      } finally {
        c.close();
        await proxy.stop();
      }
    });
  }

  void it('gives up with Unavailable and the status when failures persist', async () => {
    const proxy = await startRegistryProxy({ upstream: reg.url, flaky: { count: 100, mode: '503' } });
    const c = client(proxy.url, { retry: { attempts: 3, baseDelayMs: 5 } });
    try {
      await assert.rejects(c.resolve(parseReference(`${proxy.host}/r/app:v1`)), kind('Unavailable', /manifest r\/app:v1 from http:\/\/127\.0\.0\.1:\d+: HTTP 503: UNAVAILABLE: try again/));
      assert.equal(proxy.requests.length, 3);
    } finally {
      c.close();
      await proxy.stop();
    }
  });

  void it('connection refused is Unavailable', async () => {
    const c = client('http://127.0.0.1:9', { retry: { attempts: 2, baseDelayMs: 5 } });
    await assert.rejects(c.resolve(parseReference('127.0.0.1:9/r/app:v1')), kind('Unavailable', /ECONNREFUSED/));
    c.close();
  });

  void it('aborting mid-blob errors the stream with Cancelled', async () => {
    const ac = new AbortController();
    const c = client(reg.url);
    const body = await c.fetchBlob('r/app', { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: bigDigest, size: big.length }, { signal: ac.signal });
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const ch of body) {
          got += (ch as Buffer).length;
          ac.abort();
        }
      })(),
      kind('Cancelled'),
    );
    assert.ok(got > 0 && got < big.length, `read ${got} bytes before the abort`);
    c.close();
  });

  void it('the client-wide deadline gives DeadlineExceeded, and a pre-aborted signal fails at once', async () => {
    const proxy = await startRegistryProxy({ upstream: reg.url, flaky: { count: 100, mode: '503' } });
    const slow = client(proxy.url, { signal: AbortSignal.timeout(100), retry: { attempts: 50, baseDelayMs: 40, maxDelayMs: 40 } });
    try {
      await assert.rejects(slow.resolve(parseReference(`${proxy.host}/r/app:v1`)), kind('DeadlineExceeded'));
    } finally {
      slow.close();
      await proxy.stop();
    }
    const ac = new AbortController();
    ac.abort();
    const c = client(reg.url, { signal: ac.signal });
    await assert.rejects(c.resolve(parseReference(`${reg.host}/r/app:v1`)), kind('Cancelled'));
    c.close();
  });
});
