// `critter stop [-t SECONDS] ID...` (or --all): StopContainer with crictl's grace period,
// 0 by default (the runtime kills at once). Prints each ID stopped.
import { InvalidArgumentError, type Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState } from '../../gen/runtime/v1/api_pb.js';
import type { CommandRunner } from '../program.js';
import { CliError, forEachContainer } from '../resolve-id.js';

export function parseCount(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag} takes a whole number, not "${v}"`);
    return Number(v);
  };
}

export function registerStop(program: Command, run: CommandRunner): void {
  program
    .command('stop')
    .description('stop one or more running containers')
    .argument('[container-id...]', 'container IDs or unique prefixes')
    .option('-t, --timeout <seconds>', 'seconds to wait after the stop signal before killing', parseCount('--timeout'), 0)
    .option('-a, --all', 'stop every running container')
    .action((args: string[], o: { timeout: number; all?: boolean }) =>
      run(async (ctx) => {
        let ids = args;
        if (o.all) {
          if (args.length > 0) throw new CliError(Code.INVALID_ARGUMENT, 'give container IDs or --all, not both');
          const res = await ctx.clients.runtime.listContainers(
            { filter: { state: { state: ContainerState.CONTAINER_RUNNING } } },
            { deadline: ctx.deadline() },
          );
          ids = res.containers.map((c) => c.id);
          if (ids.length === 0) return;
        }
        await forEachContainer(ctx, ids, async (id) => {
          // The grace period comes on top of the per-call timeout.
          const deadline = new Date(ctx.deadline().getTime() + o.timeout * 1000);
          await ctx.clients.runtime.stopContainer({ containerId: id, timeout: BigInt(o.timeout) }, { deadline });
          process.stdout.write(`${id}\n`);
        });
      }),
    );
}
