// The image's StopSignal (config.StopSignal) in the form the runtimes' `kill` takes. Images say
// "SIGQUIT", "QUIT", "3" or "SIGRTMIN+3"; anything else is refused so that the caller can fall
// back to SIGTERM instead of leaving a container that only a SIGKILL stops.
import { constants } from 'node:os';

const SIGNALS = constants.signals as Record<string, number>;
// Linux: SIGRTMIN is 34 for programs (glibc keeps two for itself), SIGRTMAX 64.
const RT = /^SIGRT(MIN|MAX)([+-]\d+)?$/;

export const DEFAULT_STOP_SIGNAL = 'SIGTERM';

/** The canonical name ("SIGQUIT") or number ("3"); undefined when `s` names no signal. */
export function parseStopSignal(s: string): string | undefined {
  const t = s.trim().toUpperCase();
  if (t === '') return undefined;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n >= 1 && n <= 64 ? String(n) : undefined;
  }
  const name = t.startsWith('SIG') ? t : `SIG${t}`;
  const rt = RT.exec(name);
  if (rt) {
    const off = Number(rt[2] ?? '0');
    const n = (rt[1] === 'MIN' ? 34 : 64) + off;
    // As a number: not every runtime knows the SIGRTMIN+n names.
    return n >= 34 && n <= 64 ? String(n) : undefined;
  }
  return SIGNALS[name] !== undefined ? name : undefined;
}
