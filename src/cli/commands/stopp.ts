import type { Command } from 'commander';
import type { CommandRunner } from '../program.js';
import { resolvePodIds } from './pods.js';

export function registerStopp(program: Command, run: CommandRunner): void {
  program
    .command('stopp')
    .description('stop pod sandboxes (ids or unique id prefixes)')
    .argument('<pod-id...>')
    .action((given: string[]) =>
      run(async (ctx) => {
        for (const id of await resolvePodIds(ctx, given)) {
          await ctx.clients.runtime.stopPodSandbox({ podSandboxId: id }, { deadline: ctx.deadline() });
          process.stdout.write(`Stopped sandbox ${id}\n`);
        }
      }),
    );
}
