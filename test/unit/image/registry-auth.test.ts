import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Authorizer, TokenCache, basicCredentials, parseWwwAuthenticate } from '../../../src/image/registry/auth.js';
import { CritterError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/log.js';

void describe('parseWwwAuthenticate', () => {
  void it('parses a Docker Bearer challenge', () => {
    assert.deepEqual(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'),
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    );
  });
  void it('handles spaces, unquoted values, escapes and several challenges', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="a \\"b\\", c" , Bearer realm=https://x/token, error="invalid_token"'), [
      { scheme: 'basic', params: { realm: 'a "b", c' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', error: 'invalid_token' } },
    ]);
  });
  void it('keeps multi-scope values intact', () => {
    const [c] = parseWwwAuthenticate('Bearer scope="repository:a:pull repository:b:pull,push"');
    assert.equal(c!.params.scope, 'repository:a:pull repository:b:pull,push');
  });
  void it('returns nothing for junk', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
  });
});

void describe('credentials', () => {
  void it('decodes auth, prefers username/password', () => {
    assert.deepEqual(basicCredentials({ auth: Buffer.from('me:pa:ss').toString('base64') }), { username: 'me', password: 'pa:ss' });
    assert.deepEqual(basicCredentials({ username: 'u', password: 'p', auth: Buffer.from('x:y').toString('base64') }), { username: 'u', password: 'p' });
    assert.equal(basicCredentials({ identityToken: 't' }), undefined);
    assert.throws(() => basicCredentials({ auth: Buffer.from('nocolon').toString('base64') }), (e: unknown) => e instanceof CritterError && e.kind === 'FailedPrecondition');
  });

  void it('Basic challenge without credentials is a clear FailedPrecondition', async () => {
    const a = new Authorizer({ logger: silentLogger() });
    await assert.rejects(a.authorize('https://r', 'repository:x:pull', 'Basic realm="r"', undefined), (e: unknown) => e instanceof CritterError && e.kind === 'FailedPrecondition' && /unauthorized/.test(e.message));
  });

  void it('registry_token is used as the bearer token without a realm round trip, and cached per scope', async () => {
    const a = new Authorizer({ logger: silentLogger(), credentials: { registryToken: 'tok' } });
    assert.equal(await a.authorize('https://r', 's1', 'Bearer realm="https://127.0.0.1:1/token"', undefined), 'Bearer tok');
    assert.equal(a.cached('https://r', 's1'), 'Bearer tok');
    assert.equal(a.cached('https://r', 's2'), undefined);
  });

  void it('does not share cached tokens between different credentials', async () => {
    const cache = new TokenCache();
    const a = new Authorizer({ logger: silentLogger(), credentials: { registryToken: 'A' }, cache });
    const b = new Authorizer({ logger: silentLogger(), credentials: { registryToken: 'B' }, cache });
    await a.authorize('https://r', 's', 'Bearer realm="https://127.0.0.1:1/token"', undefined);
    assert.equal(b.cached('https://r', 's'), undefined);
  });

  void it('TokenCache expires entries', () => {
    let now = 1000;
    const c = new TokenCache(() => now);
    c.set('k', 'v', 10);
    assert.equal(c.get('k'), 'v');
    now = 1010;
    assert.equal(c.get('k'), undefined);
  });
});
