// critter runp / pods / inspectp / stopp / rmp against critterd, with crictl's pod config JSON.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRITTER } from '../../harness/daemon.js';
import { startEnv, stopEnv, type Env } from '../pod/sandbox-helpers.js';

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await stopEnv(env);
});

const critter = (...args: string[]) => spawnSync(process.execPath, [CRITTER, '-r', env.d.socket, ...args], { encoding: 'utf8', timeout: 60_000 });

// crictl's own sample format: proto field names, enums as numbers.
const podJson = (name: string) => ({
  metadata: { name, namespace: 'critter-test', uid: `uid-${name}`, attempt: 1 },
  hostname: name,
  log_directory: '/tmp',
  labels: { app: name, team: 'cli' },
  linux: { cgroup_parent: '/critter-test', security_context: { namespace_options: { pid: 1 } } },
});

void test('runp, pods, inspectp, stopp and rmp', () => {
  const file = join(env.dir, 'pod.json');
  writeFileSync(file, JSON.stringify(podJson('cli-a')));
  const r = critter('runp', file);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  env.net.podIds.add(id);
  writeFileSync(file, JSON.stringify(podJson('cli-b')));
  const b = critter('runp', '--runtime', 'crun', file).stdout.trim();
  env.net.podIds.add(b);

  const table = critter('pods');
  assert.equal(table.status, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$/);
  assert.match(table.stdout, new RegExp(`^${id.slice(0, 13)}\\s+.* ago\\s+Ready\\s+cli-a\\s+critter-test\\s+1\\s+runc$`, 'm'));
  assert.match(table.stdout, /\s+cli-b\s+critter-test\s+1\s+crun$/m);
  assert.deepEqual(critter('pods', '-q', '--name', '^cli-a$').stdout.trim().split('\n'), [id]);
  assert.deepEqual(critter('pods', '-q', '--label', 'app=cli-b').stdout.trim().split('\n'), [b]);
  assert.equal(critter('pods', '-q', '--namespace', 'nope').stdout.trim(), '');
  const json = JSON.parse(critter('pods', '-o', 'json').stdout) as { items: { id: string; state: string }[] };
  assert.deepEqual(json.items.map((p) => p.id).sort(), [id, b].sort());
  assert.equal(json.items[0]!.state, 'SANDBOX_READY');

  const ins = critter('inspectp', id.slice(0, 10));
  assert.equal(ins.status, 0, ins.stderr);
  const doc = JSON.parse(ins.stdout) as { status: { id: string; state: string; network: { ip: string } }; info: { netNamespacePath: string; config: { metadata: { name: string } } } };
  assert.equal(doc.status.id, id);
  assert.equal(doc.status.state, 'SANDBOX_READY');
  assert.ok(doc.status.network.ip.startsWith(env.net.subnet.replace(/0\/24$/, '')));
  assert.equal(doc.info.config.metadata.name, 'cli-a');
  assert.match(doc.info.netNamespacePath, /\/ns\/net$/);

  const rmReady = critter('rmp', id);
  assert.equal(rmReady.status, 1);
  assert.match(rmReady.stderr, /is ready: stop it first or use --force/);
  const stop = critter('stopp', id.slice(0, 12));
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(stop.stdout, `Stopped sandbox ${id}\n`);
  assert.match(critter('pods', '--state', 'notready', '-q').stdout, new RegExp(id));
  assert.equal(critter('rmp', id).stdout, `Removed sandbox ${id}\n`);
  const nope = critter('stopp', 'ffffffff');
  assert.equal(nope.status, 1);
  assert.match(nope.stderr, /no pod sandbox matches "ffffffff"/);
  const all = critter('rmp', '-a', '-f');
  assert.equal(all.status, 0, all.stderr);
  assert.equal(all.stdout, `Removed sandbox ${b}\n`);
  assert.equal(critter('pods', '-q').stdout, '');
  const bad = critter('runp', join(env.dir, 'missing.json'));
  assert.equal(bad.status, 1);
});
