// Reading a container record back from disk: the file is ours, but a torn or hand-edited one
// must be refused (RecordStore moves it aside) rather than crash the daemon later.
import { internal } from '../util/errors.js';
import type { MonitoredContainer } from './monitor/conmon.js';
import type { ContainerPhase, ContainerRecord, ContainerResources } from './types.js';

const PHASES: readonly string[] = ['creating', 'created', 'running', 'exited', 'unknown'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(id: string, what: string): never {
  throw internal(`container record ${id}: ${what}`);
}

function str(o: Obj, k: string, id: string): string {
  const v = o[k];
  if (typeof v !== 'string') bad(id, `${k} is not a string`);
  return v;
}

function num(o: Obj, k: string, id: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(id, `${k} is not a number`);
  return v;
}

function obj(o: Obj, k: string, id: string): Obj {
  const v = o[k];
  if (!isObj(v)) bad(id, `${k} is not an object`);
  return v;
}

function strMap(o: Obj, k: string, id: string): Record<string, string> {
  const m = obj(o, k, id);
  for (const [key, v] of Object.entries(m)) if (typeof v !== 'string') bad(id, `${k}.${key} is not a string`);
  return m as Record<string, string>;
}

function nums(v: unknown, what: string, id: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) bad(id, `${what} is not a list of numbers`);
  return v as number[];
}

function resources(o: Obj, id: string): ContainerResources {
  const r = obj(o, 'resources', id);
  const pages = r.hugepageLimits;
  if (!Array.isArray(pages)) bad(id, 'resources.hugepageLimits is not a list');
  return {
    cpuPeriod: num(r, 'cpuPeriod', id),
    cpuQuota: num(r, 'cpuQuota', id),
    cpuShares: num(r, 'cpuShares', id),
    memoryLimitInBytes: num(r, 'memoryLimitInBytes', id),
    oomScoreAdj: num(r, 'oomScoreAdj', id),
    cpusetCpus: str(r, 'cpusetCpus', id),
    cpusetMems: str(r, 'cpusetMems', id),
    hugepageLimits: pages.map((p) => {
      if (!isObj(p)) bad(id, 'a hugepage limit is not an object');
      return { pageSize: str(p, 'pageSize', id), limit: num(p, 'limit', id) };
    }),
    unified: strMap(r, 'unified', id),
    memorySwapLimitInBytes: num(r, 'memorySwapLimitInBytes', id),
  };
}

function monitor(o: Obj, id: string): MonitoredContainer | undefined {
  if (o.monitor === undefined) return undefined;
  const m = obj(o, 'monitor', id);
  return {
    id: str(m, 'id', id),
    uuid: str(m, 'uuid', id),
    bundle: str(m, 'bundle', id),
    persistDir: str(m, 'persistDir', id),
    logPath: str(m, 'logPath', id),
    pidFile: str(m, 'pidFile', id),
    conmonPidFile: str(m, 'conmonPidFile', id),
    pid: num(m, 'pid', id),
    conmonPid: num(m, 'conmonPid', id),
  };
}

export function parseContainerRecord(value: unknown, id: string): ContainerRecord {
  if (!isObj(value)) bad(id, 'not an object');
  if (value.version !== 1) bad(id, `unknown version ${JSON.stringify(value.version)}`);
  if (value.id !== id) bad(id, `holds id ${JSON.stringify(value.id)}`);
  const phase = str(value, 'phase', id);
  if (!PHASES.includes(phase)) bad(id, `unknown phase ${phase}`);
  const md = obj(value, 'metadata', id);
  const image = obj(value, 'image', id);
  const chainId = image.chainId;
  if (chainId !== null && typeof chainId !== 'string') bad(id, 'image.chainId is neither a string nor null');
  const user = obj(value, 'user', id);
  for (const k of ['createdAt', 'startedAt', 'finishedAt']) {
    if (!/^\d+$/.test(str(value, k, id))) bad(id, `${k} is not a decimal timestamp`);
  }
  return {
    version: 1,
    id,
    name: str(value, 'name', id),
    digest: str(value, 'digest', id),
    sandboxId: str(value, 'sandboxId', id),
    phase: phase as ContainerPhase,
    runtimeHandler: str(value, 'runtimeHandler', id),
    metadata: { name: str(md, 'name', id), attempt: num(md, 'attempt', id) },
    labels: strMap(value, 'labels', id),
    annotations: strMap(value, 'annotations', id),
    image: {
      requested: str(image, 'requested', id),
      userSpecified: str(image, 'userSpecified', id),
      id: str(image, 'id', id),
      chainId,
      stopSignal: str(image, 'stopSignal', id),
    },
    logPath: str(value, 'logPath', id),
    bundle: str(value, 'bundle', id),
    rootfs: str(value, 'rootfs', id),
    snapshotKey: str(value, 'snapshotKey', id),
    monitor: monitor(value, id),
    resources: resources(value, id),
    user: { uid: num(user, 'uid', id), gid: num(user, 'gid', id), additionalGids: nums(user.additionalGids, 'user.additionalGids', id) },
    createdAt: str(value, 'createdAt', id),
    startedAt: str(value, 'startedAt', id),
    finishedAt: str(value, 'finishedAt', id),
    exitCode: num(value, 'exitCode', id),
    reason: str(value, 'reason', id),
    message: str(value, 'message', id),
    config: value.config,
  };
}
