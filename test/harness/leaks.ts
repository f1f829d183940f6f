// Leak checks for tests: processes and mounts that still refer to a test's private directory.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Live processes whose command line mentions `needle`. Zombies are skipped: PID 1 on these
 * machines reaps orphaned monitors slowly, and a zombie holds nothing.
 */
export function processesUnder(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmdline.includes(needle)) found.push({ pid, cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}
