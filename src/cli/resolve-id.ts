// Container and pod IDs on the command line may be any unique prefix, as crictl users expect
// from containerd and CRI-O. The client resolves them itself through ListContainers and
// ListPodSandbox, so the same prefixes work against any CRI runtime, critterd included.
import { status as Code } from '@grpc/grpc-js';
import type { RuntimeServiceClient } from '../server/service-definitions.js';
import type { CliContext } from './context.js';
import { describeCallError } from './context.js';

/** A client-side failure shaped like a gRPC error, so the runner prints `critter: CODE: details`. */
export class CliError extends Error {
  constructor(
    readonly code: Code,
    readonly details: string,
  ) {
    super(details);
  }
}

export type IdKind = 'container' | 'pod sandbox';

const FULL_ID = /^[0-9a-f]{64}$/;

/** The one ID among `ids` equal to or starting with `prefix`. */
export function resolveIdPrefix(kind: IdKind, prefix: string, ids: readonly string[]): string {
  if (prefix === '') throw new CliError(Code.INVALID_ARGUMENT, `the ${kind} ID is empty`);
  if (ids.includes(prefix)) return prefix;
  const matches = ids.filter((id) => id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(Code.NOT_FOUND, `no ${kind} has an ID starting with "${prefix}"`);
  const shown = matches.slice(0, 5).map((id) => id.slice(0, 13));
  const more = matches.length > shown.length ? `, and ${matches.length - shown.length} more` : '';
  throw new CliError(
    Code.INVALID_ARGUMENT,
    `the ${kind} ID prefix "${prefix}" is ambiguous: it matches ${matches.length} ${kind === 'container' ? 'containers' : 'pod sandboxes'} (${shown.join(', ')}${more}); give more of the ID`,
  );
}

type Lister = Pick<RuntimeServiceClient, 'listContainers' | 'listPodSandbox'>;

export async function resolveContainerId(runtime: Lister, prefix: string, deadline: () => Date): Promise<string> {
  // A full ID needs no lookup; if it does not exist the runtime says so.
  if (FULL_ID.test(prefix)) return prefix;
  const res = await runtime.listContainers({}, { deadline: deadline() });
  return resolveIdPrefix('container', prefix, res.containers.map((c) => c.id));
}

export async function resolvePodId(runtime: Lister, prefix: string, deadline: () => Date): Promise<string> {
  if (FULL_ID.test(prefix)) return prefix;
  const res = await runtime.listPodSandbox({}, { deadline: deadline() });
  return resolveIdPrefix('pod sandbox', prefix, res.items.map((p) => p.id));
}

/**
 * Runs `act` for each container argument in turn. A failure is reported (`critter: CODE:
 * details`) and makes the exit status 1, but does not stop the others: `critter rm a b c` removes
 * what it can, as crictl rm does.
 */
export async function forEachContainer(ctx: CliContext, args: readonly string[], act: (id: string) => Promise<void>): Promise<void> {
  if (args.length === 0) throw new CliError(Code.INVALID_ARGUMENT, 'give at least one container ID');
  for (const arg of args) {
    try {
      await act(await resolveContainerId(ctx.clients.runtime, arg, ctx.deadline));
    } catch (e) {
      process.stderr.write(`critter: ${describeCallError(e)}\n`);
      process.exitCode = 1;
    }
  }
}
