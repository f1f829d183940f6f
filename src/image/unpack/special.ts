// What Node's fs cannot do: mknod (device nodes, fifos, whiteouts) and setxattr (PAX xattrs,
// the overlay opaque marker). These are queued while a layer is extracted and carried out in
// one python3 process per batch (python3 is on every node, see docs; its os module has both),
// instead of one child process per entry.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { internal } from '../../util/errors.js';

export type SpecialOp =
  | { op: 'mknod'; path: string; kind: 'c' | 'b' | 'p'; mode: number; major: number; minor: number; uid: number; gid: number; mtime: number }
  | { op: 'setxattr'; path: string; name: string; value: string }
  | { op: 'link'; target: string; path: string };

// Every path is re-checked here to resolve inside root: the queue is flushed before anything
// in the tree is removed or replaced, so this is defence in depth, not the main check.
const SCRIPT = String.raw`
import base64, json, os, sys
root = os.path.realpath(sys.argv[1])
def inside(p):
    if p == sys.argv[1]:
        return
    d = os.path.realpath(os.path.dirname(p))
    if d != root and not d.startswith(root + '/'):
        raise Exception('%s resolves outside the snapshot' % p)
for line in sys.stdin:
    o = json.loads(line)
    p = o['path']
    try:
        inside(p)
        if o['op'] == 'mknod':
            kind = {'c': 0o020000, 'b': 0o060000, 'p': 0o010000}[o['kind']]
            os.mknod(p, kind | 0o600, os.makedev(o['major'], o['minor']))
            os.chown(p, o['uid'], o['gid'], follow_symlinks=False)
            os.chmod(p, o['mode'])
            os.utime(p, (o['mtime'], o['mtime']), follow_symlinks=False)
        elif o['op'] == 'setxattr':
            os.setxattr(p, o['name'], base64.b64decode(o['value']), follow_symlinks=False)
        elif o['op'] == 'link':
            inside(o['target'])
            os.link(o['target'], p, follow_symlinks=False)
    except Exception as e:
        sys.stderr.write('%s %s: %s\n' % (o['op'], p, e))
        sys.exit(1)
`;

// The system interpreter first: a version-manager shim on PATH can cost 100 ms a start.
export const PYTHON = process.env.CRITTER_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** Carries out ops in order; rejects with the first failure. */
export function runSpecialOps(root: string, ops: SpecialOp[]): Promise<void> {
  if (ops.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const child = spawn(PYTHON, ['-I', '-S', '-c', SCRIPT, root], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (e) => reject(internal(`cannot run ${PYTHON} to create device nodes and xattrs: ${e.message}`, e)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(internal(`creating device nodes and xattrs failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
    // A child that died early closes stdin; its stderr tells why, via 'close' above.
    child.stdin.on('error', () => undefined);
    child.stdin.end(ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
  });
}

/** Byte-exact xattr values travel as base64. */
export const xattrValue = (v: Buffer | string): string => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('base64');
