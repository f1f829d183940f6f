// Shared setup of the runtime-driver and conmon integration tests: one private dir per test
// file, a driver and a monitor per handler, and the leak checks run after each container.
import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciRuntimeDriver } from '../../../src/oci/runtime-driver.js';
import { ConmonMonitor } from '../../../src/container/monitor/conmon.js';
import { TEST_CGROUP_PARENT } from '../../fixtures/bundle/config.js';
import { mountsUnder, processesUnder } from '../../harness/leaks.js';
import type { RuntimeHandlerConfig } from '../../../src/config/types.js';

export const CONMON = '/usr/bin/conmon';
export const HANDLERS: { name: string; path: string }[] = [
  { name: 'runc', path: '/usr/sbin/runc' },
  { name: 'crun', path: '/usr/bin/crun' },
];

/** Why a handler cannot be tested here, or undefined when it can. */
export function skipReason(path: string): string | undefined {
  if (!existsSync(path)) return `${path} is not installed`;
  if (!existsSync(CONMON)) return `${CONMON} is not installed`;
  if (process.getuid?.() !== 0) return 'needs root';
  return undefined;
}

export interface Env {
  dir: string;
  driver: OciRuntimeDriver;
  monitor: ConmonMonitor;
  handler: RuntimeHandlerConfig;
  exitDir: string;
  dispose(): void;
}

export function makeEnv(name: string, path: string): Env {
  const dir = mkdtempSync(join(tmpdir(), `critter-oci-test-${name}-`));
  const handler: RuntimeHandlerConfig = { name, runtimePath: path, runtimeType: 'oci', runtimeRoot: join(dir, 'root') };
  const driver = new OciRuntimeDriver({ handler, cgroupDriver: 'cgroupfs', defaultTimeoutMs: 20_000 });
  const exitDir = join(dir, 'exits');
  const monitor = new ConmonMonitor({
    conmonPath: CONMON,
    runtime: driver,
    cgroupDriver: 'cgroupfs',
    exitDir,
    socketDir: join(dir, 'sockets'),
    exitPollMs: 500,
  });
  return {
    dir,
    driver,
    monitor,
    handler,
    exitDir,
    dispose: () => {
      monitor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** The v1 hierarchies of this host (one dir per mount under /sys/fs/cgroup). */
function hierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h));
}

export function cgroupDirsOf(id: string): string[] {
  return hierarchies()
    .map((h) => join(h, TEST_CGROUP_PARENT, id))
    .filter((d) => existsSync(d));
}

/** Removes the tests' parent cgroup wherever it is empty now. */
export function removeTestCgroupParents(): void {
  for (const h of hierarchies()) {
    try {
      rmdirSync(join(h, TEST_CGROUP_PARENT));
    } catch {
      // Absent, or still holding another test's container.
    }
  }
}

/** Live (non-zombie) processes whose command line mentions `needle`. */
export function liveProcessesMentioning(needle: string): string[] {
  return processesUnder(needle).map((p) => `${p.pid}: ${p.cmdline}`);
}

export { mountsUnder };

/** Best-effort teardown of one container, whatever state a failed test left it in. */
export async function forceRemove(env: Env, id: string): Promise<void> {
  try {
    await env.driver.kill(id, 'SIGKILL', { all: true });
  } catch {
    // Not running, or unknown.
  }
  try {
    await env.driver.delete(id, { force: true });
  } catch {
    // Reported by the leak checks instead.
  }
  env.monitor.removeExit(id);
}

export async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
