import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { loadTls, parseHostsToml, resolveEndpoints } from '../../../src/image/registry/hosts.js';
import { CritterError } from '../../../src/util/errors.js';

const isInvalid = (re: RegExp) => (e: unknown) => e instanceof CritterError && e.kind === 'InvalidArgument' && re.test(e.message);

void describe('smol-toml', () => {
  void it('keeps [host."..."] tables in file order', () => {
    const doc = parse('[host."http://z"]\n[host."https://a:1/v2"]\n[host."http://m"]\n[host."http://b"]\n') as { host: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.host), ['http://z', 'https://a:1/v2', 'http://m', 'http://b']);
  });
});

void describe('parseHostsToml', () => {
  const file = '/etc/critter/certs.d/docker.io/hosts.toml';
  const dir = '/etc/critter/certs.d/docker.io';

  void it('orders mirrors as written, then the server', () => {
    const { endpoints, hasServer } = parseHostsToml(
      `server = "https://registry-1.docker.io"
[host."https://z-mirror.example"]
  capabilities = ["pull", "resolve"]
[host."http://127.0.0.1:5000/v2/mirror"]
  capabilities = ["pull"]
  override_path = true
[host."https://a-mirror.example/prefix"]
`,
      file,
      dir,
    );
    assert.ok(hasServer);
    assert.deepEqual(
      endpoints.map((e) => [e.origin, e.pathPrefix, e.overridePath, e.capabilities.join(',')]),
      [
        ['https://z-mirror.example', '/v2', false, 'pull,resolve'],
        ['http://127.0.0.1:5000', '/v2/mirror', true, 'pull'],
        ['https://a-mirror.example', '/prefix/v2', false, 'pull,resolve,push'],
        ['https://registry-1.docker.io', '/v2', false, 'pull,resolve,push'],
      ],
    );
  });

  void it('keeps an explicit /v2 and accepts a server without scheme as https', () => {
    const { endpoints } = parseHostsToml('server = "registry.example:5000/v2/"\n', file, dir);
    assert.equal(endpoints[0]!.origin, 'https://registry.example:5000');
    assert.equal(endpoints[0]!.pathPrefix, '/v2');
  });

  void it('override_path with a bare origin uses no prefix', () => {
    const { endpoints } = parseHostsToml('[host."http://h:1"]\noverride_path = true\n', file, dir);
    assert.equal(endpoints[0]!.pathPrefix, '');
  });

  void it('parses tls, client pairs and headers; relative paths are relative to the host dir', () => {
    const { endpoints } = parseHostsToml(
      `[host."https://m"]
ca = ["ca.pem", "/abs/ca2.pem"]
skip_verify = true
client = [["c.cert", "c.key"], "both.pem"]
[host."https://m".header]
  x-custom = "1"
  X-Multi = ["a", "b"]
`,
      file,
      dir,
    );
    const ep = endpoints[0]!;
    assert.deepEqual(ep.tls.caFiles, [join(dir, 'ca.pem'), '/abs/ca2.pem']);
    assert.equal(ep.tls.skipVerify, true);
    assert.deepEqual(ep.tls.clientCerts, [{ cert: join(dir, 'c.cert'), key: join(dir, 'c.key') }, { cert: join(dir, 'both.pem') }]);
    assert.deepEqual(ep.headers, { 'x-custom': ['1'], 'x-multi': ['a', 'b'] });
  });

  void it('rejects unknown keys, naming file and key', () => {
    assert.throws(() => parseHostsToml('sever = "x"\n', file, dir), isInvalid(/hosts\.toml: unknown key "sever"/));
    assert.throws(
      () => parseHostsToml('[host."https://m"]\ncapabilites = ["pull"]\n', file, dir),
      isInvalid(/hosts\.toml: unknown key "host\."https:\/\/m"\.capabilites"/),
    );
  });

  void it('rejects bad values', () => {
    assert.throws(() => parseHostsToml('[host."https://m"]\ncapabilities = ["fetch"]\n', file, dir), isInvalid(/capabilit.*fetch/));
    assert.throws(() => parseHostsToml('[host."https://m"]\nskip_verify = "yes"\n', file, dir), isInvalid(/skip_verify/));
    assert.throws(() => parseHostsToml('[host."https://m"]\noverride_path = 1\n', file, dir), isInvalid(/override_path/));
    assert.throws(() => parseHostsToml('[host."https://m"]\nca = 3\n', file, dir), isInvalid(/"host\."https:\/\/m"\.ca"/));
    assert.throws(() => parseHostsToml('[host."ftp://m"]\n', file, dir), isInvalid(/http or https/));
    assert.throws(() => parseHostsToml('server = 5\n', file, dir), isInvalid(/server/));
    assert.throws(() => parseHostsToml('server = "x\n', file, dir), isInvalid(/invalid TOML/));
  });
});

void describe('resolveEndpoints', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'critter-certs-'));
    await mkdir(join(root, 'docker.io'));
    await writeFile(join(root, 'docker.io', 'hosts.toml'), '[host."http://127.0.0.1:9/v2/mirror"]\ncapabilities = ["pull","resolve"]\noverride_path = true\n');
    await mkdir(join(root, 'withserver.example'));
    await writeFile(join(root, 'withserver.example', 'hosts.toml'), 'server = "http://upstream.example:8080"\n');
    await mkdir(join(root, 'ported.example_5000_'));
    await writeFile(join(root, 'ported.example_5000_', 'hosts.toml'), 'server = "http://ported.example:5000"\n');
    await mkdir(join(root, 'empty.example'));
    await mkdir(join(root, '_default'));
    await writeFile(join(root, '_default', 'hosts.toml'), 'capabilities = ["pull", "resolve"]\n[header]\nx-from-default = "1"\n');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('defaults without a config dir: https, and registry-1 for docker.io', async () => {
    assert.deepEqual(
      (await resolveEndpoints('docker.io')).map((e) => `${e.origin}${e.pathPrefix}`),
      ['https://registry-1.docker.io/v2'],
    );
    assert.deepEqual((await resolveEndpoints('127.0.0.1:5000')).map((e) => `${e.origin}${e.pathPrefix}`), ['https://127.0.0.1:5000/v2']);
  });

  void it('appends the default upstream after the mirrors when there is no server', async () => {
    const eps = await resolveEndpoints('docker.io', { configDir: root });
    assert.deepEqual(
      eps.map((e) => `${e.origin}${e.pathPrefix}`),
      ['http://127.0.0.1:9/v2/mirror', 'https://registry-1.docker.io/v2'],
    );
    assert.equal(eps[0]!.source, join(root, 'docker.io', 'hosts.toml'));
  });

  void it('uses server as the upstream, and the host_port_ directory form', async () => {
    assert.deepEqual((await resolveEndpoints('withserver.example', { configDir: root })).map((e) => e.origin), ['http://upstream.example:8080']);
    assert.deepEqual((await resolveEndpoints('ported.example:5000', { configDir: root })).map((e) => e.origin), ['http://ported.example:5000']);
  });

  void it('a host dir without hosts.toml means defaults', async () => {
    assert.deepEqual((await resolveEndpoints('empty.example', { configDir: root })).map((e) => e.origin), ['https://empty.example']);
  });

  void it('falls back to _default, whose top-level settings apply to the upstream', async () => {
    const eps = await resolveEndpoints('other.example', { configDir: root });
    assert.equal(eps.length, 1);
    assert.equal(eps[0]!.origin, 'https://other.example');
    assert.deepEqual(eps[0]!.capabilities, ['pull', 'resolve']);
    assert.deepEqual(eps[0]!.headers, { 'x-from-default': ['1'] });
  });

  void it('insecure registries: https without verification, then http', async () => {
    const eps = await resolveEndpoints('127.0.0.1:5000', { insecureRegistries: ['127.0.0.1:5000'] });
    assert.deepEqual(eps.map((e) => [e.origin, e.tls.skipVerify]), [['https://127.0.0.1:5000', true], ['http://127.0.0.1:5000', false]]);
  });

  void it('loadTls reports unreadable CA files by path', async () => {
    await assert.rejects(
      loadTls({ caFiles: [join(root, 'missing.pem')], skipVerify: false, clientCerts: [] }),
      isInvalid(/CA certificate .*missing\.pem/),
    );
    const t = await loadTls({ caFiles: [], skipVerify: true, clientCerts: [] });
    assert.equal(t.rejectUnauthorized, false);
  });
});
