// Doing things inside a network namespace file through util-linux nsenter.
import { internal } from '../../util/errors.js';
import { describeFailure, runProgram, type RunOptions, type RunResult } from '../../util/run-program.js';

/** Runs argv inside the network namespace at netnsPath (every other namespace stays the host's). */
export function runInNetns(netnsPath: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (argv.length === 0) throw new TypeError('runInNetns needs a program to run');
  return runProgram('nsenter', [`--net=${netnsPath}`, '--', ...argv], opts);
}

/**
 * Sets lo up in the namespace. Like containerd and CRI-O we do it ourselves whatever the
 * conflist holds, since pods rely on localhost even when no loopback plugin is configured.
 */
export async function bringLoopbackUp(netnsPath: string): Promise<void> {
  const r = await runInNetns(netnsPath, ['ip', 'link', 'set', 'lo', 'up']);
  if (r.code !== 0) throw internal(`cannot bring lo up in ${netnsPath}: ${describeFailure(r)}`);
}
