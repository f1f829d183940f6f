// Mounting snapshots. mount(8) is run with its working directory in the snapshot store so the
// overlay options can name layers by relative path when absolute ones would not fit in the
// one page (4096 bytes) the kernel accepts for mount options.
import { spawn } from 'node:child_process';
import { internal } from '../../util/errors.js';

export interface Mount {
  /** 'overlay' for a chain of layers, 'bind' for a single directory. */
  type: 'overlay' | 'bind';
  source: string;
  /** mount(8) -o options: absolute paths, or relative to cwd when that is set. */
  options: string[];
  /** Set when the options only fit with relative paths: mount(8) must run in this directory. */
  cwd?: string;
}

/** The kernel copies mount options into one page, terminating NUL included. */
export const MOUNT_OPTIONS_MAX = 4095;

function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (e) => reject(internal(`${cmd}: ${e.message}`, e)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(internal(`${cmd} ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`))));
  });
}

/** Mounts m at target (which must exist). */
export async function mountAt(m: Mount, target: string): Promise<void> {
  if (m.type === 'bind') {
    await run('mount', ['--bind', m.source, target]);
    if (m.options.includes('ro')) await run('mount', ['-o', 'remount,bind,ro', target]);
    return;
  }
  await run('mount', ['-t', 'overlay', m.source, '-o', m.options.join(','), target], m.cwd);
}

export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  await run('umount', opts.lazy ? ['-l', target] : [target]);
}
