import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isImageIdLike, parseReference } from '../../../src/image/reference.js';
import { CritterError } from '../../../src/util/errors.js';

const D = 'sha256:' + 'a'.repeat(64);

void describe('parseReference', () => {
  const valid: [string, { domain: string; path: string; tag?: string; digest?: string; familiar: string; canonical: string }][] = [
    ['busybox', { domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest', canonical: 'docker.io/library/busybox:latest' }],
    ['busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36', familiar: 'busybox:1.36', canonical: 'docker.io/library/busybox:1.36' }],
    ['library/busybox', { domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest', canonical: 'docker.io/library/busybox:latest' }],
    ['docker.io/busybox', { domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest', canonical: 'docker.io/library/busybox:latest' }],
    ['index.docker.io/busybox', { domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest', canonical: 'docker.io/library/busybox:latest' }],
    ['index.docker.io/user/repo:v1', { domain: 'docker.io', path: 'user/repo', tag: 'v1', familiar: 'user/repo:v1', canonical: 'docker.io/user/repo:v1' }],
    ['user/repo', { domain: 'docker.io', path: 'user/repo', tag: 'latest', familiar: 'user/repo:latest', canonical: 'docker.io/user/repo:latest' }],
    ['user/sub/repo', { domain: 'docker.io', path: 'user/sub/repo', tag: 'latest', familiar: 'user/sub/repo:latest', canonical: 'docker.io/user/sub/repo:latest' }],
    ['docker.io/library/a/b', { domain: 'docker.io', path: 'library/a/b', tag: 'latest', familiar: 'library/a/b:latest', canonical: 'docker.io/library/a/b:latest' }],
    ['localhost/x', { domain: 'localhost', path: 'x', tag: 'latest', familiar: 'localhost/x:latest', canonical: 'localhost/x:latest' }],
    ['localhost:5000/x', { domain: 'localhost:5000', path: 'x', tag: 'latest', familiar: 'localhost:5000/x:latest', canonical: 'localhost:5000/x:latest' }],
    ['127.0.0.1:5000/a/b:tag', { domain: '127.0.0.1:5000', path: 'a/b', tag: 'tag', familiar: '127.0.0.1:5000/a/b:tag', canonical: '127.0.0.1:5000/a/b:tag' }],
    ['registry.k8s.io/pause:3.9', { domain: 'registry.k8s.io', path: 'pause', tag: '3.9', familiar: 'registry.k8s.io/pause:3.9', canonical: 'registry.k8s.io/pause:3.9' }],
    // A first component without "." or ":" (and not localhost) is a Docker Hub namespace.
    [`host/x@${D}`, { domain: 'docker.io', path: 'host/x', digest: D, familiar: `host/x@${D}`, canonical: `docker.io/host/x@${D}` }],
    [`my.host/x@${D}`, { domain: 'my.host', path: 'x', digest: D, familiar: `my.host/x@${D}`, canonical: `my.host/x@${D}` }],
    [`quay.io/a/b:v1@${D}`, { domain: 'quay.io', path: 'a/b', tag: 'v1', digest: D, familiar: `quay.io/a/b:v1@${D}`, canonical: `quay.io/a/b@${D}` }],
    [`busybox@${D}`, { domain: 'docker.io', path: 'library/busybox', digest: D, familiar: `busybox@${D}`, canonical: `docker.io/library/busybox@${D}` }],
    ['user/a.b-c_d__e--f/g.h_i:T_a.g-1', { domain: 'docker.io', path: 'user/a.b-c_d__e--f/g.h_i', tag: 'T_a.g-1', familiar: 'user/a.b-c_d__e--f/g.h_i:T_a.g-1', canonical: 'docker.io/user/a.b-c_d__e--f/g.h_i:T_a.g-1' }],
    ['Example.COM/app', { domain: 'Example.COM', path: 'app', tag: 'latest', familiar: 'Example.COM/app:latest', canonical: 'Example.COM/app:latest' }],
    // distribution treats an uppercase first component as a host, so this is valid.
    ['Foo/bar', { domain: 'Foo', path: 'bar', tag: 'latest', familiar: 'Foo/bar:latest', canonical: 'Foo/bar:latest' }],
    ['[::1]:5000/x', { domain: '[::1]:5000', path: 'x', tag: 'latest', familiar: '[::1]:5000/x:latest', canonical: '[::1]:5000/x:latest' }],
    ['a:' + 'x'.repeat(128), { domain: 'docker.io', path: 'library/a', tag: 'x'.repeat(128), familiar: 'a:' + 'x'.repeat(128), canonical: 'docker.io/library/a:' + 'x'.repeat(128) }],
    ['host:5000/x:5000', { domain: 'host:5000', path: 'x', tag: '5000', familiar: 'host:5000/x:5000', canonical: 'host:5000/x:5000' }],
  ];
  for (const [input, want] of valid) {
    void it(`parses ${input.length > 60 ? input.slice(0, 60) + '...' : input}`, () => {
      const r = parseReference(input);
      assert.equal(r.domain, want.domain);
      assert.equal(r.path, want.path);
      assert.equal(r.tag, want.tag);
      assert.equal(r.digest, want.digest);
      assert.equal(r.name, `${want.domain}/${want.path}`);
      assert.equal(r.familiar, want.familiar);
      assert.equal(r.canonical, want.canonical);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    [' busybox', /whitespace/],
    ['Busybox', /lowercase/],
    ['docker.io/Library/busybox', /lowercase/],
    ['user/Repo', /lowercase/],
    ['a'.repeat(64).replace(/a/g, 'b').replace(/^b/, 'c'), /image id/],
    ['busybox:' + 'x'.repeat(129), /longer than 128/],
    ['busybox:-bad', /tag/],
    ['busybox:.bad', /tag/],
    ['busybox:ba$d', /tag/],
    ['busybox:', /tag/],
    ['busybox@sha256:abc', /digest/],
    ['busybox@sha256:' + 'A'.repeat(64), /digest/],
    ['busybox@md5:' + 'a'.repeat(32), /unsupported algorithm/],
    ['busybox@', /digest/],
    ['busybox@' + 'a'.repeat(64), /digest/],
    ['a//b', /repository path/],
    ['a/b/', /repository path/],
    ['-a/b', /repository path/],
    ['a/b-', /repository path/],
    ['a/b..c', /repository path/],
    ['a/b___c', /repository path/],
    [':tag', /empty/],
    ['host:port/x', /(registry host|repository path)/],
    ['-host.com/x', /registry host/],
    ['a_b.com/x', /registry host/],
    ['x/' + 'a'.repeat(260), /longer than 255/],
  ];
  for (const [input, msg] of invalid) {
    void it(`rejects ${JSON.stringify(input.length > 50 ? input.slice(0, 50) + '...' : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (e: unknown) => e instanceof CritterError && e.kind === 'InvalidArgument' && msg.test(e.message),
      );
    });
  }
});

void describe('isImageIdLike', () => {
  void it('accepts ids and id prefixes', () => {
    assert.ok(isImageIdLike('a'.repeat(64)));
    assert.ok(isImageIdLike('sha256:' + 'b'.repeat(64)));
    assert.ok(isImageIdLike('3f57d9401f8d'));
    assert.ok(isImageIdLike('sha256:3f57'));
  });
  void it('rejects names', () => {
    assert.ok(!isImageIdLike('busybox'));
    assert.ok(!isImageIdLike('sha256:'));
    assert.ok(!isImageIdLike('ABCDEF'));
    assert.ok(!isImageIdLike('a'.repeat(65)));
    assert.ok(!isImageIdLike(''));
  });
});
