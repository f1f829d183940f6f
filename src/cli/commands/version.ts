import type { Command } from 'commander';
import type { CommandRunner } from '../program.js';

export function registerVersion(program: Command, run: CommandRunner): void {
  program
    .command('version')
    .description('print the runtime name and versions of the CRI endpoint')
    .action(() =>
      run(async (ctx) => {
        const v = await ctx.clients.runtime.version({ version: 'v1' }, { deadline: ctx.deadline() });
        process.stdout.write(
          `Version:  ${v.version}\nRuntimeName:  ${v.runtimeName}\nRuntimeVersion:  ${v.runtimeVersion}\nRuntimeApiVersion:  ${v.runtimeApiVersion}\n`,
        );
      }),
    );
}
