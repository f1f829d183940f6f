// `critter rm [-f] [-a] [-k] ID...`: RemoveContainer, refusing a running container unless
// --force (which stops it first, without grace). Like crictl, the log file and its rotations go
// too unless --keep-logs: outside Kubernetes nobody else removes them. Prints each ID removed.
import { readdir, rm as removeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState } from '../../gen/runtime/v1/api_pb.js';
import type { CommandRunner } from '../program.js';
import { CliError, forEachContainer } from '../resolve-id.js';

async function removeLogs(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const base = basename(logPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names.filter((n) => n === base || n.startsWith(`${base}.`))) {
    await removeFile(join(dir, n), { force: true }).catch((e: Error) =>
      process.stderr.write(`critter: warning: cannot remove the log file ${join(dir, n)}: ${e.message}\n`),
    );
  }
}

export function registerRm(program: Command, run: CommandRunner): void {
  program
    .command('rm')
    .description('remove one or more containers')
    .argument('[container-id...]', 'container IDs or unique prefixes')
    .option('-f, --force', 'stop a running container first')
    .option('-a, --all', 'remove every container')
    .option('-k, --keep-logs', 'leave the log file and its rotations')
    .action((args: string[], o: { force?: boolean; all?: boolean; keepLogs?: boolean }) =>
      run(async (ctx) => {
        const rt = ctx.clients.runtime;
        let ids = args;
        if (o.all) {
          if (args.length > 0) throw new CliError(Code.INVALID_ARGUMENT, 'give container IDs or --all, not both');
          ids = (await rt.listContainers({}, { deadline: ctx.deadline() })).containers.map((c) => c.id);
          if (ids.length === 0) return;
        }
        await forEachContainer(ctx, ids, async (id) => {
          const st = (await rt.containerStatus({ containerId: id }, { deadline: ctx.deadline() })).status;
          if (st?.state === ContainerState.CONTAINER_RUNNING) {
            if (!o.force) throw new CliError(Code.FAILED_PRECONDITION, `container ${id} is running: stop it first, or use rm --force`);
            await rt.stopContainer({ containerId: id, timeout: 0n }, { deadline: ctx.deadline() });
          }
          await rt.removeContainer({ containerId: id }, { deadline: ctx.deadline() });
          if (!o.keepLogs && st?.logPath) await removeLogs(st.logPath);
          process.stdout.write(`${id}\n`);
        });
      }),
    );
}
