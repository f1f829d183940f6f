// SELinux labels of a container: the process label from its SELinuxOption, the policy's
// container defaults filling what it leaves out, and a mount label of the same level for the
// files it creates. Without a level the pod gets MCS categories derived from its sandbox id, so
// all its containers share them and other pods (almost surely) do not. Nothing is labelled on
// a host where SELinux is disabled, or for privileged containers (containerd does the same).
import { createHash } from 'node:crypto';
import type { SELinuxOption } from '../../gen/runtime/v1/api_pb.js';
import { invalidArgument } from '../../util/errors.js';
import type { SelinuxHost } from './lsm-host.js';

export interface SelinuxLabels {
  processLabel?: string;
  mountLabel?: string;
}

/** "user:role:type:level" -> its parts; the level may itself contain colons (s0:c1,c2). */
function split(label: string): [string, string, string, string] {
  const parts = label.split(':');
  if (parts.length < 4) throw invalidArgument(`SELinux label ${JSON.stringify(label)} is not user:role:type:level`);
  return [parts[0]!, parts[1]!, parts[2]!, parts.slice(3).join(':')];
}

const CATEGORIES = 1024;

/** Two distinct categories from the sandbox id: s0:cA,cB with A < B. */
export function podMcsLevel(sandboxId: string): string {
  const h = createHash('sha256').update(sandboxId).digest();
  const a = h.readUInt16BE(0) % CATEGORIES;
  let b = h.readUInt16BE(2) % CATEGORIES;
  if (b === a) b = (b + 1) % CATEGORIES;
  return `s0:c${Math.min(a, b)},c${Math.max(a, b)}`;
}

const FIELD = /^[A-Za-z0-9_.,:-]*$/;

export function containerSelinux(
  opt: SELinuxOption | undefined,
  privileged: boolean,
  sandboxId: string,
  host: SelinuxHost,
  warnings: string[],
): SelinuxLabels {
  const asked = opt !== undefined && (opt.user || opt.role || opt.type || opt.level) !== '';
  if (host.mode === 'disabled') {
    if (asked) warnings.push('SELinux is disabled on this host; selinux_options are ignored');
    return {};
  }
  if (privileged) return {};
  for (const [k, v] of Object.entries({ user: opt?.user, role: opt?.role, type: opt?.type, level: opt?.level })) {
    if (v && !FIELD.test(v)) throw invalidArgument(`selinux_options.${k} ${JSON.stringify(v)} has characters a label cannot have`);
  }
  const [pUser, pRole, pType] = split(host.processLabel);
  const [fUser, fRole, fType] = split(host.fileLabel);
  const level = opt?.level || podMcsLevel(sandboxId);
  return {
    processLabel: `${opt?.user || pUser}:${opt?.role || pRole}:${opt?.type || pType}:${level}`,
    mountLabel: `${opt?.user || fUser}:${fRole}:${fType}:${level}`,
  };
}
