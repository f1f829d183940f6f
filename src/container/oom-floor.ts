// Why containers cannot get an oom_score_adj below critterd's own: lowering it needs
// CAP_SYS_RESOURCE, and where that is not even in critterd's bounding set (an unprivileged
// LXC or a trimmed systemd unit), the runtime's write would fail. The spec builder raises such
// requests to critterd's value; this says so for the Status info.
import { readFileSync } from 'node:fs';

const CAP_SYS_RESOURCE = 24n;

/** True when CAP_SYS_RESOURCE is in this process's bounding set (or the set cannot be read). */
export function hasSysResourceInBoundingSet(statusText?: string): boolean {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return true;
    }
  }
  const hex = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(text)?.[1];
  if (hex === undefined) return true;
  return ((BigInt(`0x${hex}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** The Status note, or undefined when nothing is clamped for want of the capability. */
export function oomFloorNote(own: number, statusText?: string): string | undefined {
  if (hasSysResourceInBoundingSet(statusText)) return undefined;
  return `container oom_score_adj values below critterd's own ${own} are raised to ${own}: CAP_SYS_RESOURCE is not in the bounding set`;
}
