// The OCI runtime driver and the conmon monitor against the real runc and crun of this host.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../fixtures/bundle/make-bundle.js';
import type { FixtureConfigOptions } from '../../fixtures/bundle/config.js';
import { execSync } from '../../../src/container/monitor/exec-sync.js';
import type { MonitoredContainer } from '../../../src/container/monitor/conmon.js';
import {
  HANDLERS,
  cgroupDirsOf,
  forceRemove,
  liveProcessesMentioning,
  makeEnv,
  mountsUnder,
  removeTestCgroupParents,
  skipReason,
  uniqueId,
  until,
  type Env,
} from './env.js';

// "2024-05-01T10:11:12.123456789+00:00 stdout F text": RFC 3339 with nanoseconds and an offset.
const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) (.*)$/;

for (const h of HANDLERS) {
  const skip = skipReason(h.path);
  void describe(`OCI runtime driver and conmon on ${h.name}`, { skip: skip ? `${h.name}: ${skip}` : false }, () => {
    let env: Env;
    const live: { id: string; bundle: Bundle }[] = [];

    before(() => {
      env = makeEnv(h.name, h.path);
    });

    // Every container is torn down and checked for leaks, whatever the test did.
    afterEach(async () => {
      const leaks: string[] = [];
      for (const { id, bundle } of live.splice(0)) {
        await forceRemove(env, id);
        leaks.push(...cgroupDirsOf(id).map((d) => `cgroup ${d}`));
        leaks.push(...mountsUnder(bundle.dir).map((m) => `mount ${m}`));
        const procs = await until(`processes of ${id} to go`, () => {
          const p = liveProcessesMentioning(id);
          return p.length === 0 ? p : undefined;
        }, 5000).catch(() => liveProcessesMentioning(id));
        leaks.push(...procs.map((p) => `process ${p}`));
        bundle.remove();
      }
      assert.deepEqual(leaks, [], 'nothing of the container is left');
    });

    after(() => {
      env?.dispose();
      removeTestCgroupParents();
    });

    const newBundle = (prefix: string, o: Omit<FixtureConfigOptions, 'id'>): { id: string; bundle: Bundle } => {
      const id = uniqueId(`${h.name}-${prefix}`);
      const bundle = makeBundle({ id, ...o }, env.dir);
      const entry = { id, bundle };
      live.push(entry);
      return entry;
    };

    const run = async (id: string, bundle: Bundle): Promise<MonitoredContainer> => {
      const c = await env.monitor.create({ id, bundle: bundle.dir, logPath: join(bundle.dir, 'container.log') });
      assert.equal((await env.driver.state(id)).status, 'created');
      await env.monitor.start(id);
      return c;
    };

    void test('runs a container under conmon: state, CRI log, SIGTERM exit, watchExit, delete', async () => {
      // No pid namespace of its own: as a pid 1 the shell would ignore SIGTERM.
      const { id, bundle } = newBundle('life', {
        process: { args: ['sh', '-c', 'echo out; echo err >&2; exec sleep 1000'] },
        hostPid: true,
      });
      const c = await run(id, bundle);
      assert.ok(c.pid > 0 && c.conmonPid > 0);
      assert.ok(env.monitor.conmonRunning(c), 'conmon runs');
      assert.ok(statSync(env.monitor.attachSocketPath(c)).isSocket(), 'conmon serves the attach socket in the bundle');
      const st = await env.driver.state(id);
      assert.equal(st.status, 'running');
      assert.equal(st.pid, c.pid);
      assert.deepEqual(await env.driver.ps(id), [c.pid]);

      const lines = await until('both log lines', () => {
        const l = readFileSync(c.logPath, 'utf8').split('\n').filter(Boolean);
        return l.length >= 2 ? l : undefined;
      });
      const parsed = lines.map((l) => CRI_LINE.exec(l));
      assert.ok(parsed.every(Boolean), `CRI log lines: ${lines.join(' | ')}`);
      const byStream = Object.fromEntries(parsed.map((m) => [m![2], m!]));
      assert.equal(byStream.stdout![3], 'F');
      assert.equal(byStream.stdout![4], 'out');
      assert.equal(byStream.stderr![4], 'err');
      assert.ok(!Number.isNaN(Date.parse(byStream.stdout![1]!)));

      assert.equal(env.monitor.readExit(id, c.persistDir), null, 'no exit yet');
      const exited = new Promise<number>((resolve) => env.monitor.watchExit(id, (e) => resolve(e.exitCode), c.persistDir));
      // The log was not renamed, so it exists and the reopen returns at once.
      await env.monitor.reopenLog(c);
      await env.driver.kill(id, 'SIGTERM');
      assert.equal(await exited, 128 + 15);
      const info = env.monitor.readExit(id, c.persistDir);
      assert.equal(info?.exitCode, 143);
      assert.equal(info?.oomKilled, false);
      assert.equal((await env.driver.state(id)).status, 'stopped');
      await until('conmon to exit', () => !env.monitor.conmonRunning(c));
      await assert.rejects(env.monitor.reopenLog(c), /not running/, 'ctl fifo has no reader once conmon is gone');

      await env.driver.delete(id);
      await assert.rejects(env.driver.state(id), (e: { kind?: string }) => e.kind === 'NotFound');
      await env.driver.delete(id); // idempotent
      assert.deepEqual(cgroupDirsOf(id), []);
    });

    void test('a container that exits on its own reports its code', async () => {
      const { id, bundle } = newBundle('exit3', { process: { args: ['sh', '-c', 'exit 3'] } });
      const c = await run(id, bundle);
      const e = await env.monitor.waitExit(id, c.persistDir);
      assert.equal(e.exitCode, 3);
      assert.equal(e.oomKilled, false);
    });

    void test('an OOM kill is reported as 137 with the oom marker', async () => {
      const mem = 8 * 1024 * 1024;
      const { id, bundle } = newBundle('oom', {
        process: { args: ['sh', '-c', 'x=a; while true; do x=$x$x; done'] },
        resources: { memory: { limit: mem, swap: mem } },
      });
      const c = await run(id, bundle);
      const e = await env.monitor.waitExit(id, c.persistDir);
      assert.equal(e.exitCode, 137);
      assert.equal(e.oomKilled, true, 'conmon wrote <persist-dir>/oom');
    });

    void test('update changes the memory limit of a live container', async () => {
      const { id, bundle } = newBundle('upd', {
        process: { args: ['sleep', '1000'] },
        resources: { memory: { limit: 64 << 20, swap: 64 << 20 } },
      });
      await run(id, bundle);
      const file = `/sys/fs/cgroup/memory/critter-test/${id}/memory.limit_in_bytes`;
      assert.equal(readFileSync(file, 'utf8').trim(), String(64 << 20));
      await env.driver.update(id, { memory: { limit: 32 << 20, swap: 32 << 20 } });
      assert.equal(readFileSync(file, 'utf8').trim(), String(32 << 20));
    });

    void test('execSync returns output and status, and a timeout kills the command', async () => {
      const { id, bundle } = newBundle('exec', { process: { args: ['sleep', '1000'] } });
      await run(id, bundle);
      const r = await execSync(env.driver, id, {
        bundle: bundle.dir,
        cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 5'],
        workDir: env.dir,
        timeoutMs: 10_000,
      });
      assert.equal(r.stdout.toString(), 'hello\n');
      assert.equal(r.stderr.toString(), 'oops\n');
      assert.equal(r.exitCode, 5);
      assert.equal(r.timedOut, false);

      const marker = `exec-timeout-${id}`;
      const t0 = Date.now();
      const slow = await execSync(env.driver, id, {
        bundle: bundle.dir,
        cmd: ['sh', '-c', `sleep 1000 # ${marker}`],
        workDir: env.dir,
        timeoutMs: 300,
      });
      assert.equal(slow.timedOut, true);
      assert.ok(Date.now() - t0 < 5000, 'returned soon after the timeout');
      assert.deepEqual(liveProcessesMentioning(marker), [], 'the timed-out command is gone');
      assert.equal((await env.driver.state(id)).status, 'running', 'the container itself lives on');
    });

    void test('the container outlives the process that created it', async () => {
      const { id, bundle } = newBundle('orphan', { process: { args: ['sleep', '1000'] } });
      const args = {
        name: h.name,
        path: h.path,
        root: env.handler.runtimeRoot,
        exitDir: env.exitDir,
        socketDir: join(env.dir, 'sockets'),
        id,
        bundle: bundle.dir,
        logPath: join(bundle.dir, 'container.log'),
      };
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'create-in-child.ts'), JSON.stringify(args)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let buf = '';
          child.stdout.on('data', (b: Buffer) => {
            buf += b.toString();
            if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
          });
          child.on('exit', (code) => reject(new Error(`creator exited early (${code})`)));
        });
        const rec = JSON.parse(line) as MonitoredContainer;
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        await new Promise((r) => setTimeout(r, 200));
        assert.equal((await env.driver.state(id)).status, 'running');
        assert.ok(env.monitor.conmonRunning(rec), 'conmon survived its creator');
        // This process never saw the container created: the exit still reaches it (recovery).
        const exited = env.monitor.waitExit(id, rec.persistDir);
        await env.driver.kill(id, 'SIGKILL');
        assert.equal((await exited).exitCode, 137);
      } finally {
        child.kill('SIGKILL');
      }
    });

    void test('a failing create reports the runtime error', async () => {
      const { id, bundle } = newBundle('bad', { process: { args: ['/no/such/binary'] } });
      await assert.rejects(
        env.monitor.create({ id, bundle: bundle.dir, logPath: join(bundle.dir, 'container.log') }),
        (e: { kind?: string; message?: string }) => e.kind === 'Internal' && /\/no\/such\/binary.*(no such file|not found)/i.test(e.message ?? ''),
      );
    });

    void test('features are parsed and derived only from what the runtime reports', async () => {
      const f = await env.driver.features();
      assert.equal(await env.driver.features(), f, 'cached');
      if (f === null) {
        // crun 1.8 has no `features` command.
        assert.equal(await env.driver.supportsRecursiveReadOnly(), false);
      } else {
        assert.ok(f.mountOptions?.includes('rro'));
        assert.ok(f.linux?.namespaces?.includes('pid'));
        assert.equal(await env.driver.supportsRecursiveReadOnly(), true);
      }
      assert.equal(await env.driver.supportsIdmappedMounts(), f?.linux?.mountExtensions?.idmap?.enabled === true);
      assert.equal(await env.driver.supportsUserNamespaces(), await env.driver.supportsIdmappedMounts());
    });
  });
}
