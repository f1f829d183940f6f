import type { Command } from 'commander';
import { PodSandboxState } from '../../gen/runtime/v1/api_pb.js';
import type { CommandRunner } from '../program.js';
import { resolvePodIds } from './pods.js';

// As crictl: a ready pod is removed only with --force (RemovePodSandbox then stops it first).
export function registerRmp(program: Command, run: CommandRunner): void {
  program
    .command('rmp')
    .description('remove pod sandboxes (ids or unique id prefixes)')
    .argument('[pod-id...]')
    .option('-a, --all', 'remove every pod sandbox')
    .option('-f, --force', 'remove ready pods too')
    .action((given: string[], o: { all?: boolean; force?: boolean }) =>
      run(async (ctx) => {
        const list = await ctx.clients.runtime.listPodSandbox({}, { deadline: ctx.deadline() });
        let ids: string[];
        if (o.all) ids = list.items.map((p) => p.id);
        else if (given.length === 0) throw new Error('give pod ids, or --all');
        else ids = await resolvePodIds(ctx, given);
        let failed = false;
        for (const id of ids) {
          const ready = list.items.find((p) => p.id === id)?.state === PodSandboxState.SANDBOX_READY;
          if (ready && !o.force) {
            process.stderr.write(`critter: pod sandbox ${id} is ready: stop it first or use --force\n`);
            failed = true;
            continue;
          }
          await ctx.clients.runtime.removePodSandbox({ podSandboxId: id }, { deadline: ctx.deadline() });
          process.stdout.write(`Removed sandbox ${id}\n`);
        }
        if (failed) process.exitCode = 1;
      }),
    );
}
