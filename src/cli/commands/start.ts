// `critter start ID...`: StartContainer for each created container; prints each ID started.
import type { Command } from 'commander';
import type { CommandRunner } from '../program.js';
import { forEachContainer } from '../resolve-id.js';

export function registerStart(program: Command, run: CommandRunner): void {
  program
    .command('start')
    .description('start one or more created containers')
    .argument('<container-id...>', 'container IDs or unique prefixes')
    .action((ids: string[]) =>
      run((ctx) =>
        forEachContainer(ctx, ids, async (id) => {
          await ctx.clients.runtime.startContainer({ containerId: id }, { deadline: ctx.deadline() });
          process.stdout.write(`${id}\n`);
        }),
      ),
    );
}
