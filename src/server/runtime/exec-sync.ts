import type { ExecSyncRequest } from '../../gen/runtime/v1/api_pb.js';
import type { CallContext } from '../instrument.js';
import type { ServerDeps } from '../deps.js';
import { invalidArgument } from '../../util/errors.js';
import { requireString } from '../validate.js';

// timeout is in seconds; 0 means none (the kubelet's probes always set one).
export const execSync = (deps: ServerDeps) => async (req: ExecSyncRequest, ctx: CallContext) => {
  const id = requireString('container_id', req.containerId);
  if (req.cmd.length === 0) throw invalidArgument('cmd is required');
  if (req.timeout < 0n) throw invalidArgument(`timeout ${req.timeout} is negative`);
  const timeout = Number(req.timeout > 86_400n ? 86_400n : req.timeout);
  const r = await deps.containers.execSync(id, [...req.cmd], timeout, ctx.signal);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
};
