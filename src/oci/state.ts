// The OCI runtime state (`<runtime> state <id>`), checked at the boundary.
import { internal } from '../util/errors.js';

export type OciStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';
const STATUSES: readonly string[] = ['creating', 'created', 'running', 'stopped', 'paused'];

export interface OciState {
  ociVersion: string;
  id: string;
  status: OciStatus;
  /** 0 once the container stopped. */
  pid: number;
  bundle: string;
  /** RFC 3339, when the runtime reports it (runc and crun do). */
  created?: string;
  annotations?: Record<string, string>;
}

export function parseOciState(text: string, id: string): OciState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw internal(`runtime state of container ${id} is not JSON: ${text.slice(0, 200)}`, e);
  }
  if (typeof v !== 'object' || v === null) throw internal(`runtime state of container ${id} is not an object`);
  const o = v as Record<string, unknown>;
  if (typeof o.status !== 'string' || !STATUSES.includes(o.status)) {
    throw internal(`runtime state of container ${id} has an unknown status ${JSON.stringify(o.status)}`);
  }
  const state: OciState = {
    ociVersion: typeof o.ociVersion === 'string' ? o.ociVersion : '',
    id: typeof o.id === 'string' ? o.id : id,
    status: o.status as OciStatus,
    pid: typeof o.pid === 'number' ? o.pid : 0,
    bundle: typeof o.bundle === 'string' ? o.bundle : '',
  };
  if (typeof o.created === 'string') state.created = o.created;
  if (typeof o.annotations === 'object' && o.annotations !== null) {
    const ann: Record<string, string> = {};
    for (const [k, val] of Object.entries(o.annotations)) if (typeof val === 'string') ann[k] = val;
    state.annotations = ann;
  }
  return state;
}
