// What is kept on disk per sandbox: the request, what has been set up so far (so that a crash at
// any step leaves enough to undo it), and the outcome. One file per sandbox in a RecordStore.
import { internal } from '../../util/errors.js';
import type { InfraRecord } from '../infra/pause-infra.js';
import type { SandboxNetwork, SandboxRequest } from './types.js';

/** 'creating' until RunPodSandbox finished; such records are undone at startup. */
export type SandboxPhase = 'creating' | 'ready' | 'notready';

export interface SandboxRecord {
  version: 1;
  id: string;
  name: string;
  /** Identifies the request, to recognise the kubelet retrying it. */
  digest: string;
  phase: SandboxPhase;
  /** Why the sandbox is not ready, when it became so by itself. */
  reason?: string;
  /** Nanoseconds since the epoch, as decimal text. */
  createdAt: string;
  request: SandboxRequest;
  runtimeHandler: string;
  hostname: string;
  dir: string;
  netnsPath?: string;
  ipcPath?: string;
  utsPath?: string;
  /** The pod's user namespace file, set before it is created (mode POD only). */
  userNamespacePath?: string;
  shmPath: string;
  /** Set before CNI ADD runs and cleared once DEL succeeded. */
  cniAttached: boolean;
  network: SandboxNetwork;
  /** Set before the pause container is created and cleared once it is deleted. */
  infra?: InfraRecord;
}

export function parseSandboxRecord(v: unknown, id: string): SandboxRecord {
  const r = v as Partial<SandboxRecord> | null;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    r.id === id &&
    typeof r.name === 'string' &&
    typeof r.digest === 'string' &&
    (r.phase === 'creating' || r.phase === 'ready' || r.phase === 'notready') &&
    typeof r.createdAt === 'string' &&
    /^\d+$/.test(r.createdAt) &&
    typeof r.request === 'object' &&
    r.request !== null &&
    typeof r.dir === 'string' &&
    typeof r.shmPath === 'string' &&
    typeof r.cniAttached === 'boolean' &&
    typeof r.network === 'object';
  if (!ok) throw internal(`sandbox record ${id} is not a version 1 record`);
  return r as SandboxRecord;
}
