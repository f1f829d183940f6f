import type { Command } from 'commander';
import { PodSandboxStatusSchema } from '../../gen/runtime/v1/api_pb.js';
import { decodeInfo, messageJson, printJson } from '../output.js';
import type { CommandRunner } from '../program.js';
import { resolvePodIds } from './pods.js';

// Like `crictl inspectp`: the status, and the runtime's verbose info with JSON values decoded.
export function registerInspectp(program: Command, run: CommandRunner): void {
  program
    .command('inspectp')
    .description('print the status of pod sandboxes as JSON (ids or unique id prefixes)')
    .argument('<pod-id...>')
    .action((given: string[]) =>
      run(async (ctx) => {
        for (const id of await resolvePodIds(ctx, given)) {
          const res = await ctx.clients.runtime.podSandboxStatus({ podSandboxId: id, verbose: true }, { deadline: ctx.deadline() });
          printJson({ status: res.status ? messageJson(PodSandboxStatusSchema, res.status) : null, ...decodeInfo(res.info) });
        }
      }),
    );
}
