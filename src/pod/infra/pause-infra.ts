// The pause process of a shared-PID pod, run as an OCI container (id = the sandbox id) under
// conmon with the pod's runtime handler, so that it outlives critterd like any container.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupDriver } from '../../config/types.js';
import type { ConmonMonitor } from '../../container/monitor/conmon.js';
import { errorMessage } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { checkNativeBinary } from '../../util/native-binary.js';
import { pauseSpec, type PauseSpecInput } from './pause-spec.js';

export interface InfraRecord {
  /** The OCI container id; the sandbox id. */
  id: string;
  handler: string;
  bundle: string;
  /** 0 until the process exists. */
  pid: number;
  conmonPid: number;
}

export interface InfraStartOptions {
  sandboxId: string;
  handler: string;
  bundle: string;
  netnsPath: string | undefined;
  ipcPath: string | undefined;
  utsPath: string | undefined;
  /** The pod's user namespace, which the pause process joins (it owns the pod's other namespaces). */
  userns?: PauseSpecInput['userns'];
  cgroupParent: string;
  /** Called before conmon is spawned, so a crash leaves a record to clean up from. */
  onPrepared?: (r: InfraRecord) => void;
}

export interface PauseInfraOptions {
  pausePath: string;
  cgroupDriver: CgroupDriver;
  /** The conmon monitor of a runtime handler. */
  monitorFor: (handler: string) => ConmonMonitor;
  log?: Logger;
  /** How long SIGTERM is given before the process is killed. */
  stopGraceMs?: number;
}

export class PauseInfra {
  private readonly log: Logger;

  constructor(private readonly opts: PauseInfraOptions) {
    this.log = opts.log ?? silentLogger();
  }

  async start(o: InfraStartOptions): Promise<InfraRecord> {
    checkNativeBinary(this.opts.pausePath);
    const rootfs = join(o.bundle, 'rootfs');
    for (const d of ['proc', 'dev']) mkdirSync(join(rootfs, d), { recursive: true, mode: 0o755 });
    copyFileSync(this.opts.pausePath, join(rootfs, 'pause'));
    chmodSync(join(rootfs, 'pause'), 0o755);
    const spec = pauseSpec({
      sandboxId: o.sandboxId,
      netnsPath: o.netnsPath,
      ipcPath: o.ipcPath,
      utsPath: o.utsPath,
      userns: o.userns,
      cgroupParent: o.cgroupParent,
      cgroupDriver: this.opts.cgroupDriver,
    });
    writeFileSync(join(o.bundle, 'config.json'), JSON.stringify(spec, null, 2));
    const rec: InfraRecord = { id: o.sandboxId, handler: o.handler, bundle: o.bundle, pid: 0, conmonPid: 0 };
    o.onPrepared?.(rec);
    const monitor = this.opts.monitorFor(o.handler);
    // Bounded by its own timeout rather than the caller's: see SandboxService.run.
    const c = await monitor.create({ id: o.sandboxId, name: `pause-${o.sandboxId.slice(0, 12)}`, bundle: o.bundle, logPath: join(o.bundle, 'pause.log') });
    rec.pid = c.pid;
    rec.conmonPid = c.conmonPid;
    await monitor.start(o.sandboxId);
    this.log.debug({ sandboxId: o.sandboxId, pid: c.pid }, 'pause started');
    return rec;
  }

  /** True while the pause process runs, as the runtime sees it. */
  async running(r: InfraRecord): Promise<boolean> {
    const monitor = this.opts.monitorFor(r.handler);
    if (monitor.readExit(r.id, r.bundle) !== null) return false;
    try {
      return (await monitor.runtime.state(r.id)).status === 'running';
    } catch {
      return false;
    }
  }

  /** Calls back once when the pause process has exited; returns a canceller. */
  watch(r: InfraRecord, cb: () => void): () => void {
    return this.opts.monitorFor(r.handler).watchExit(r.id, cb, r.bundle);
  }

  /** SIGTERM, then a forced delete; idempotent, and fine for a container that never started. */
  async stop(r: InfraRecord): Promise<void> {
    const monitor = this.opts.monitorFor(r.handler);
    const grace = this.opts.stopGraceMs ?? 5_000;
    const hadConmon = r.conmonPid > 0 && monitor.conmonRunning({ conmonPid: r.conmonPid, id: r.id });
    if (monitor.readExit(r.id, r.bundle) === null) {
      try {
        await monitor.runtime.kill(r.id, 'SIGTERM');
        await monitor.waitExit(r.id, r.bundle, AbortSignal.timeout(grace));
      } catch (e) {
        this.log.debug({ sandboxId: r.id, err: errorMessage(e) }, 'pause did not stop on SIGTERM; deleting it by force');
      }
    }
    await monitor.runtime.delete(r.id, { force: true });
    // conmon writes the exit file as it goes; wait for it so none is written after we clean up.
    if (hadConmon) await monitor.waitExit(r.id, r.bundle, AbortSignal.timeout(grace)).catch(() => undefined);
    monitor.removeExit(r.id);
  }
}
