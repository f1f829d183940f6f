// Registry authentication through a token-issuing proxy in front of a real docker-registry,
// with each CRI credential form, and redirects that must not carry credentials elsewhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseReference } from '../../../src/image/reference.js';
import { TokenCache, type RegistryCredentials } from '../../../src/image/registry/auth.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { parseHostsToml } from '../../../src/image/registry/hosts.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';
import { htpasswdAvailable, startRegistry, type TestRegistry } from '../../harness/registry.js';
import { pushTinyImage, type PushedImage } from '../../harness/registry-image.js';
import { startRegistryProxy, type TestRegistryProxy } from '../../harness/registry-proxy.js';

const USER = 'alice';
const PASS = 's3cret';
const REFRESH = 'refresh-abc';
const STATIC = 'static-xyz';
const kind = (k: string, re?: RegExp) => (e: unknown) => e instanceof CritterError && e.kind === k && (re === undefined || re.test(e.message));

function client(url: string, credentials?: RegistryCredentials, tokenCache?: TokenCache): RegistryClient {
  const { endpoints } = parseHostsToml(`server = "${url}"\n`, 'test/hosts.toml', '/tmp');
  return new RegistryClient({ endpoints, credentials, tokenCache, logger: silentLogger(), retry: { attempts: 2, baseDelayMs: 10 } });
}

async function pullAll(c: RegistryClient, ref: string): Promise<void> {
  const r = parseReference(ref);
  const m = await c.fetchManifest(r);
  for (const d of [m.config, ...m.layers]) for await (const _ of await c.fetchBlob(r.path, d)) void _;
}

void describe('registry auth', () => {
  let reg: TestRegistry;
  let img: PushedImage;
  let proxy: TestRegistryProxy;
  let ref: string;

  before(async () => {
    reg = await startRegistry();
    img = await pushTinyImage(reg, 'private/app', 'v1');
    proxy = await startRegistryProxy({ upstream: reg.url, token: { username: USER, password: PASS, refreshToken: REFRESH, registryToken: STATIC } });
    ref = `${proxy.host}/private/app:v1`;
  });
  after(async () => {
    await proxy.stop();
    await reg.stop();
  });

  void it('username/password: token from the realm with the repository scope, then reused', async () => {
    const before = proxy.tokensIssued();
    const cache = new TokenCache();
    const c = client(proxy.url, { username: USER, password: PASS }, cache);
    await pullAll(c, ref);
    assert.equal(proxy.tokensIssued() - before, 1, 'one token for the whole pull');
    const tokenReq = proxy.requests.filter((r) => r.path.startsWith('/token')).at(-1)!;
    assert.match(tokenReq.path, /scope=repository%3Aprivate%2Fapp%3Apull/);
    assert.match(tokenReq.authorization ?? '', /^Basic /);
    // A later pull sharing the cache needs no new token.
    const c2 = client(proxy.url, { username: USER, password: PASS }, cache);
    await pullAll(c2, ref);
    assert.equal(proxy.tokensIssued() - before, 1);
    c.close();
    c2.close();
  });

  void it('auth (base64 user:password) works like username/password', async () => {
    const c = client(proxy.url, { auth: Buffer.from(`${USER}:${PASS}`).toString('base64') });
    await pullAll(c, ref);
    c.close();
  });

  void it('identity_token is exchanged with a refresh_token POST', async () => {
    const c = client(proxy.url, { identityToken: REFRESH });
    await pullAll(c, ref);
    assert.ok(proxy.requests.some((r) => r.method === 'POST' && r.path === '/token'));
    c.close();
  });

  void it('registry_token is sent as the bearer token directly', async () => {
    const before = proxy.tokensIssued();
    const tokenCalls = proxy.requests.filter((r) => r.path.startsWith('/token')).length;
    const c = client(proxy.url, { registryToken: STATIC });
    await pullAll(c, ref);
    assert.equal(proxy.tokensIssued(), before);
    assert.equal(proxy.requests.filter((r) => r.path.startsWith('/token')).length, tokenCalls);
    assert.ok(proxy.requests.some((r) => r.authorization === `Bearer ${STATIC}`));
    c.close();
  });

  void it('wrong or missing credentials give a clear unauthorized error', async () => {
    for (const creds of [{ username: USER, password: 'wrong' }, { identityToken: 'bad' }, undefined]) {
      const c = client(proxy.url, creds);
      await assert.rejects(c.resolve(parseReference(ref)), kind('FailedPrecondition', /unauthorized: token request to http:\/\/127\.0\.0\.1:\d+\/token was refused \(HTTP 401\)/));
      c.close();
    }
    const c = client(proxy.url, { registryToken: 'not-it' });
    await assert.rejects(c.resolve(parseReference(ref)), kind('FailedPrecondition', /unauthorized: .*rejected our credentials/));
    c.close();
  });

  void it('follows a blob redirect to another host without sending Authorization there', async () => {
    const redir = await startRegistryProxy({ upstream: reg.url, token: { username: USER, password: PASS }, redirectBlobs: true });
    const c = client(redir.url, { username: USER, password: PASS });
    try {
      const r = parseReference(`${redir.host}/private/app:v1`);
      const m = await c.fetchManifest(r);
      const chunks: Buffer[] = [];
      for await (const ch of await c.fetchBlob(r.path, m.layers[0]!)) chunks.push(ch as Buffer);
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(img.layer));
      assert.equal(redir.redirectTargetRequests.length, 1);
      assert.equal(redir.redirectTargetRequests[0]!.authorization, undefined);
      const blobAtRegistry = redir.requests.filter((q) => q.path.includes('/blobs/') && q.authorization !== undefined);
      assert.ok(blobAtRegistry.length > 0, 'the registry itself got the bearer token');
    } finally {
      c.close();
      await redir.stop();
    }
  });

  void it('Basic auth challenges', async () => {
    const basic = await startRegistryProxy({ upstream: reg.url, basic: { username: USER, password: PASS } });
    try {
      const ok = client(basic.url, { username: USER, password: PASS });
      await pullAll(ok, `${basic.host}/private/app:v1`);
      ok.close();
      const bad = client(basic.url, { username: USER, password: 'nope' });
      await assert.rejects(bad.resolve(parseReference(`${basic.host}/private/app:v1`)), kind('FailedPrecondition', /unauthorized/));
      bad.close();
      const none = client(basic.url);
      await assert.rejects(none.resolve(parseReference(`${basic.host}/private/app:v1`)), kind('FailedPrecondition', /requires a username and password/));
      none.close();
    } finally {
      await basic.stop();
    }
  });

  void it('htpasswd basic auth on the real registry', { skip: !htpasswdAvailable() && 'no bcrypt tool (python3 crypt) on this machine' }, async () => {
    const locked = await startRegistry({ htpasswd: { username: USER, password: PASS } });
    try {
      await pushTinyImage(locked, 'locked/app', 'v1');
      const ok = client(locked.url, { username: USER, password: PASS });
      await pullAll(ok, `${locked.host}/locked/app:v1`);
      ok.close();
      const bad = client(locked.url, { username: USER, password: 'nope' });
      await assert.rejects(bad.resolve(parseReference(`${locked.host}/locked/app:v1`)), kind('FailedPrecondition', /unauthorized.*UNAUTHORIZED/));
      bad.close();
    } finally {
      await locked.stop();
    }
  });
});
