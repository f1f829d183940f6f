// The client's container verbs (create/start/ps/logs/exec/update/inspect/stop/rm) through
// bin/critter against a REAL containerd 1.6: images from a local registry, a pod made through
// the CRI, and the test bridge network. A real peer keeps the client honest while critterd's
// container RPCs are still being written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CRITTER, newTestDir } from '../../harness/daemon.js';
import { containerdAvailable, startContainerd, type ContainerdHandle } from '../../harness/containerd.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { buildImage, pushImage } from '../../fixtures/image.js';
import { busyboxEntries, DEFAULT_PATH_ENV, fixtures } from '../../fixtures/images.js';
import { CNI_BIN_DIR, createTestNetwork, type TestNetwork } from '../../fixtures/cni/test-network.js';
import { makeCriClients, type CriClients } from '../../../src/server/service-definitions.js';
import { ContainerState } from '../../../src/gen/runtime/v1/api_pb.js';

const skip = !containerdAvailable()
  ? 'containerd is not installed (scripts/setup.sh installs it)'
  : process.getuid?.() !== 0
    ? 'needs root to run containers'
    : false;

let dir: string;
let reg: TestRegistry | undefined;
let net: TestNetwork | undefined;
let ctrd: ContainerdHandle | undefined;
let cri: CriClients | undefined;
let podId = '';
let podConfigPath = '';
let logDir = '';
let image = '';

// containerd (cgroupfs driver) puts pods under k8s.io in each v1 hierarchy and leaves that dir.
const cgroupParents = (): string[] =>
  readdirSync('/sys/fs/cgroup')
    .map((h) => join('/sys/fs/cgroup', h, 'k8s.io'))
    .filter((d) => existsSync(d));
let cgroupParentsBefore = new Set<string>();

const deadline = (s = 30): { deadline: Date } => ({ deadline: new Date(Date.now() + s * 1000) });

function critter(args: string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CRITTER, '-r', ctrd!.socket, '-t', '30s', ...args], { encoding: 'utf8', timeout: timeoutMs });
}

/** Runs critter and insists on exit status 0. */
function ok(args: string[]): string {
  const r = critter(args);
  assert.equal(r.status, 0, `critter ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function writeContainerConfig(name: string, command: string[], attempt = 0): string {
  const path = join(dir, `${name}.${attempt}.json`);
  // crictl's snake_case form.
  writeFileSync(path, JSON.stringify({ metadata: { name, attempt }, image: { image }, command, log_path: `${name}.${attempt}.log`, linux: {} }));
  return path;
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  if (skip) return;
  cgroupParentsBefore = new Set(cgroupParents());
  dir = newTestDir('critter-cli-containers-');
  reg = await startRegistry();
  await pushImage(reg, 'busybox', ['latest'], await fixtures.busybox());
  // A pause stand-in: busybox that sleeps for ever.
  const pause = await buildImage({ layers: [{ entries: busyboxEntries() }], config: { Env: [DEFAULT_PATH_ENV], Entrypoint: ['/bin/sleep', '2147483647'] } });
  await pushImage(reg, 'pause', ['1'], pause);
  image = `${reg.host}/busybox:latest`;

  const hosts = join(dir, 'certs.d');
  mkdirSync(join(hosts, reg.host), { recursive: true });
  writeFileSync(join(hosts, reg.host, 'hosts.toml'), `server = "${reg.url}"\n\n[host."${reg.url}"]\n  capabilities = ["pull", "resolve"]\n`);
  net = createTestNetwork(dir);
  ctrd = await startContainerd('', {
    cniConfDir: net.confDir,
    cniBinDir: CNI_BIN_DIR,
    sandboxImage: `${reg.host}/pause:1`,
    registryConfigPath: hosts,
    // Some hosts (this CI's VM among them) refuse to lower oom_score_adj, which containerd does for pods.
    restrictOomScoreAdj: true,
  });
  cri = makeCriClients(ctrd.socket);

  logDir = join(dir, 'pod-logs');
  mkdirSync(logDir);
  const podConfig = {
    metadata: { name: 'cli-pod', namespace: 'default', uid: randomBytes(8).toString('hex'), attempt: 0 },
    log_directory: logDir,
    linux: {},
  };
  podConfigPath = join(dir, 'pod.json');
  writeFileSync(podConfigPath, JSON.stringify(podConfig));
  const res = await cri.runtime.runPodSandbox(
    { config: { metadata: podConfig.metadata, logDirectory: logDir, linux: {} } },
    deadline(120),
  );
  podId = res.podSandboxId;
  net.podIds.add(podId);
});

after(async () => {
  if (skip) return;
  try {
    if (cri) {
      const all = await cri.runtime.listContainers({}, deadline()).catch(() => undefined);
      for (const c of all?.containers ?? []) {
        await cri.runtime.stopContainer({ containerId: c.id, timeout: 0n }, deadline()).catch(() => undefined);
        await cri.runtime.removeContainer({ containerId: c.id }, deadline()).catch(() => undefined);
      }
      if (podId) {
        await cri.runtime.stopPodSandbox({ podSandboxId: podId }, deadline(60)).catch(() => undefined);
        await cri.runtime.removePodSandbox({ podSandboxId: podId }, deadline(60)).catch(() => undefined);
      }
      cri.close();
    }
  } finally {
    await ctrd?.stop();
    net?.teardown();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const d of cgroupParents().filter((d) => !cgroupParentsBefore.has(d))) {
      try {
        rmdirSync(d);
      } catch {
        // Not empty: something else lives there now.
      }
    }
  }
});

let talker = '';

test('create pulls the missing image and prints the ID; start takes a unique prefix', { skip }, () => {
  const cfg = writeContainerConfig('talker', ['sh', '-c', 'echo hello; echo oops >&2; sleep 1000']);
  const r = critter(['create', podId.slice(0, 12), cfg, podConfigPath]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  assert.match(r.stderr, new RegExp(`Pulling image ${image.replace(/[.]/g, '\\.')}`));
  talker = r.stdout.trim();
  assert.equal(ok(['start', talker.slice(0, 8)]), `${talker}\n`);
});

test('ps lists the running container with crictl columns; -q, --name, --state, -o json', { skip }, () => {
  const table = ok(['ps']).trimEnd().split('\n');
  assert.match(table[0]!, /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD$/);
  const row = table.find((l) => l.startsWith(talker.slice(0, 13)));
  assert.ok(row, table.join('\n'));
  assert.match(row, /\s(Less than a second|\d+ seconds|About a minute) ago\s+Running\s+talker\s+0\s+/);
  assert.ok(row.includes(podId.slice(0, 13)));
  assert.match(row, /\scli-pod$/);
  assert.equal(ok(['ps', '-q']), `${talker}\n`);
  assert.equal(ok(['ps', '-q', '--name', '^tal']), `${talker}\n`);
  assert.equal(ok(['ps', '-q', '--name', 'nomatch']), '');
  assert.equal(ok(['ps', '-q', '--state', 'exited']), '');
  assert.equal(ok(['ps', '-q', '--pod', podId.slice(0, 6), '--id', talker.slice(0, 6)]), `${talker}\n`);
  const json = JSON.parse(ok(['ps', '-o', 'json'])) as { containers: { id: string; state: string; metadata: { name: string } }[] };
  assert.deepEqual(json.containers.map((c) => [c.id, c.state, c.metadata.name]), [[talker, 'CONTAINER_RUNNING', 'talker']]);
});

test('logs: stdout and stderr to their streams, --tail, --timestamps', { skip }, async () => {
  const r = await waitFor('both log lines', () => {
    const r = critter(['logs', talker.slice(0, 10)]);
    return r.stdout.includes('hello') && r.stderr.includes('oops') ? r : undefined;
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'oops\n');
  const t = critter(['logs', '--tail', '1', talker]);
  assert.equal(t.status, 0, t.stderr);
  // containerd copies the two pipes separately, so either line may be the last one.
  assert.equal(t.stdout.split('\n').length - 1 + t.stderr.split('\n').length - 1, 1, JSON.stringify(t));
  const ts = critter(['logs', '-t', talker]);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) hello\n$/);
  assert.match(ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) oops\n$/);
  assert.equal(critter(['logs', '--since', '1h', talker]).stdout, 'hello\n');
  assert.equal(critter(['logs', '--since', '2099-01-01T00:00:00Z', talker]).stdout, '');
});

test('logs -f follows new lines, goes on after ReopenContainerLog, and ends when the container stops', { skip }, async () => {
  const cfg = writeContainerConfig('ticker', ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); usleep 200000; done']);
  const ticker = ok(['create', podId, cfg, podConfigPath]).trim();
  ok(['start', ticker]);
  const child = spawn(process.execPath, [CRITTER, '-r', ctrd!.socket, 'logs', '-f', ticker], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor('three lines', () => (out.split('\n').length > 3 ? true : undefined));
    const seen = out.split('\n').length;
    await waitFor('more lines while following', () => (out.split('\n').length >= seen + 3 ? true : undefined));
    // Rotation as the kubelet does it: rename, then ask the runtime to reopen the path.
    const logPath = join(logDir, 'ticker.0.log');
    renameSync(logPath, `${logPath}.1`);
    await cri!.runtime.reopenContainerLog({ containerId: ticker }, deadline());
    await waitFor('the runtime to recreate the log', () => (existsSync(logPath) ? true : undefined));
    const before = out.split('\n').length;
    await waitFor('lines from the new file', () => (out.split('\n').length >= before + 5 ? true : undefined));
    // Every line once, in order, across the rotation.
    const nums = out.trimEnd().split('\n').map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
    assert.ok(nums.every((n, i) => n === nums[0]! + i), out);
    assert.equal(nums[0], 0);
    ok(['stop', ticker]);
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still following')]);
    assert.equal(code, 0, `logs -f did not end after the container stopped: ${err}`);
  } finally {
    child.kill();
    await exited;
  }
  ok(['rm', ticker]);
});

test('exec runs through ExecSync: output to the right streams and the exit code as ours', { skip }, () => {
  const r = critter(['exec', talker.slice(0, 7), 'sh', '-c', 'echo hi; echo err >&2; exit 3']);
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.status, 3);
  assert.equal(critter(['exec', talker, 'true']).status, 0);
  const it = critter(['exec', '-it', talker, 'sh']);
  assert.equal(it.status, 1);
  assert.match(it.stderr, /^critter: UNIMPLEMENTED: interactive exec \(-i\/-t\) needs the streaming server/);
  const timed = critter(['exec', '--timeout', '1', talker, 'sleep', '30']);
  assert.notEqual(timed.status, 0);
  assert.match(timed.stderr, /^critter: \S+: /);
});

test('update --memory 64m reaches the container cgroup', { skip }, () => {
  assert.equal(ok(['update', '--memory', '64m', talker.slice(0, 9)]), `${talker}\n`);
  const limit = critter(['exec', talker, 'sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.equal(limit.stdout.trim(), String(64 * 1024 * 1024), limit.stderr);
  const none = critter(['update', talker]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /nothing to update/);
});

test('inspect prints crictl-style JSON: status next to the decoded runtime info', { skip }, () => {
  const j = JSON.parse(ok(['inspect', talker.slice(0, 11)])) as {
    status: { id: string; state: string; createdAt: string; metadata: { name: string }; logPath: string };
    info: { pid: number; runtimeSpec: { process: { args: string[] } } };
  };
  assert.equal(j.status.id, talker);
  assert.equal(j.status.state, 'CONTAINER_RUNNING');
  assert.equal(j.status.metadata.name, 'talker');
  assert.match(j.status.createdAt, /^\d{4}-\d\d-\d\dT/);
  assert.equal(j.status.logPath, join(logDir, 'talker.0.log'));
  assert.ok(j.info.pid > 0);
  assert.deepEqual(j.info.runtimeSpec.process.args, ['sh', '-c', 'echo hello; echo oops >&2; sleep 1000']);
  assert.match(ok(['inspect', '-o', 'table', talker]), /^ID: [0-9a-f]{64}\nName: talker\nState: Running\n/);
});

test('unique prefixes work; ambiguous and missing IDs are clear errors', { skip }, () => {
  const missing = critter(['inspect', 'zzzz']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'critter: NOT_FOUND: no container has an ID starting with "zzzz"\n');
  // Make containers until two IDs share a first character (at most 17 by the pigeonhole).
  const made: string[] = [talker];
  let shared: string | undefined;
  while (!shared) {
    // The runtime wants a new attempt number for each container of the same name in a pod.
    const cfg = writeContainerConfig('spare', ['true'], made.length);
    made.push(ok(['create', '--no-pull', podId, cfg, podConfigPath]).trim());
    const firsts = made.map((id) => id[0]!);
    shared = firsts.find((c, i) => firsts.indexOf(c) !== i);
  }
  const amb = critter(['inspect', shared]);
  assert.equal(amb.status, 1);
  assert.match(amb.stderr, new RegExp(`^critter: INVALID_ARGUMENT: the container ID prefix "${shared}" is ambiguous: it matches \\d+ containers \\(`));
  // rm goes on past a bad ID and still fails overall.
  const spares = made.slice(1);
  const rm = critter(['rm', 'zzzz', ...spares]);
  assert.equal(rm.status, 1);
  assert.equal(rm.stdout, spares.map((id) => `${id}\n`).join(''));
  assert.match(rm.stderr, /NOT_FOUND: no container has an ID starting with "zzzz"/);
});

test('stop -t 1, then rm; ps -a no longer lists it and its log file is gone', { skip }, () => {
  const running = critter(['rm', talker]);
  assert.equal(running.status, 1);
  assert.match(running.stderr, /^critter: FAILED_PRECONDITION: container [0-9a-f]{64} is running: stop it first, or use rm --force\n$/);
  assert.equal(ok(['stop', '-t', '1', talker.slice(0, 12)]), `${talker}\n`);
  const j = JSON.parse(ok(['inspect', talker])) as { status: { state: string; exitCode: number; finishedAt: string } };
  assert.equal(j.status.state, 'CONTAINER_EXITED');
  assert.notEqual(j.status.finishedAt, '0001-01-01T00:00:00Z');
  assert.equal(ok(['ps', '-q']), '');
  assert.match(ok(['ps', '-a']), new RegExp(`${talker.slice(0, 13)}.*Exited\\s+talker`));
  assert.equal(ok(['ps', '-q', '--latest']), `${talker}\n`);
  assert.equal(ok(['rm', talker.slice(0, 12)]), `${talker}\n`);
  assert.equal(ok(['ps', '-a', '-q']), '');
  assert.equal(existsSync(join(logDir, 'talker.0.log')), false);
});

test('rm -f stops a running container first; logs of a file this client cannot see is a clear error', { skip }, async () => {
  const cfg = writeContainerConfig('forced', ['sleep', '1000']);
  const id = ok(['create', podId, cfg, podConfigPath]).trim();
  ok(['start', id]);
  await waitFor('running', () => (critter(['ps', '-q']).stdout.includes(id) ? true : undefined));
  const st = await cri!.runtime.containerStatus({ containerId: id }, deadline());
  assert.equal(st.status?.state, ContainerState.CONTAINER_RUNNING);
  // As if the client ran on another node: the log file is not there.
  rmSync(st.status!.logPath);
  const logs = critter(['logs', id]);
  assert.equal(logs.status, 1);
  assert.match(logs.stderr, /^critter: FAILED_PRECONDITION: the log file \S+forced\.0\.log does not exist here: critter logs reads the file directly, so run it on the container's node/);
  assert.equal(ok(['rm', '-f', id]), `${id}\n`);
  assert.equal(ok(['ps', '-a', '-q']), '');
});
