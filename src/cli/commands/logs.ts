// `critter logs [-f] [--tail N] [--since T] [-t] ID`: reads the container's CRI log file (its
// log_path from ContainerStatus) directly, as crictl does, so it must run on the container's
// node with permission to read the file. Following ends when the container stops.
import { once } from 'node:events';
import { access, constants } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState } from '../../gen/runtime/v1/api_pb.js';
import type { LogWriter } from '../logs/log-output.js';
import { readLogs } from '../logs/read-logs.js';
import { parseSince } from '../logs/since.js';
import type { CommandRunner } from '../program.js';
import { CliError, resolveContainerId } from '../resolve-id.js';

interface LogsOptions {
  follow?: boolean;
  tail: number;
  since?: string;
  timestamps?: boolean;
  limitBytes: number;
}

const toWriter = (s: NodeJS.WriteStream): LogWriter => ({
  write: (chunk) => (s.write(chunk) ? undefined : once(s, 'drain').then(() => undefined)),
});

const integer = (flag: string) => (v: string): number => {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag} takes a whole number, not "${v}"`);
  return Number(v);
};

export function registerLogs(program: Command, run: CommandRunner): void {
  program
    .command('logs')
    .description("print a container's logs (reads the log file: run it on the container's node)")
    .argument('<container-id>', 'container ID or unique prefix')
    .option('-f, --follow', 'keep printing new lines until the container stops')
    .option('--tail <n>', 'only the last n lines; -1 for all', integer('--tail'), -1)
    .option('--since <time>', 'only lines since a time (2024-01-02T13:23:37Z) or for a duration back (42m, 1h30m)')
    .option('-t, --timestamps', 'start each line with its timestamp')
    .option('--limit-bytes <n>', 'stop after this many bytes; -1 for no limit', integer('--limit-bytes'), -1)
    .action((idArg: string, o: LogsOptions) =>
      run(async (ctx) => {
        const debug = program.opts<{ debug?: boolean }>().debug === true;
        const since = o.since !== undefined ? parseSince(o.since) : undefined;
        const rt = ctx.clients.runtime;
        const id = await resolveContainerId(rt, idArg, ctx.deadline);
        const st = (await rt.containerStatus({ containerId: id }, { deadline: ctx.deadline() })).status;
        const logPath = st?.logPath ?? '';
        if (logPath === '') throw new CliError(Code.FAILED_PRECONDITION, `container ${id} has no log path: it was created without log_path`);
        try {
          await access(logPath, constants.R_OK);
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist here' : 'is not readable';
          throw new CliError(
            Code.FAILED_PRECONDITION,
            `the log file ${logPath} ${why}: critter logs reads the file directly, so run it on the container's node as a user who may read it`,
          );
        }
        // Output cut short by a closed pipe (critter logs | head) is not an error.
        const quitOnEpipe = (e: NodeJS.ErrnoException): void => {
          if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        };
        process.stdout.on('error', quitOnEpipe);
        process.stderr.on('error', quitOnEpipe);
        await readLogs(
          logPath,
          {
            follow: o.follow,
            tail: o.tail,
            since,
            timestamps: o.timestamps,
            limitBytes: o.limitBytes,
            isRunning: async () => {
              try {
                const now = await rt.containerStatus({ containerId: id }, { deadline: ctx.deadline() });
                return now.status?.state === ContainerState.CONTAINER_RUNNING;
              } catch {
                return false; // removed meanwhile
              }
            },
            onBadLine: (line, err) => {
              if (debug) process.stderr.write(`critter: skipping a log line that is not in the CRI format (${err.message}): ${line.toString().slice(0, 200)}\n`);
            },
          },
          { stdout: toWriter(process.stdout), stderr: toWriter(process.stderr) },
        );
      }),
    );
}
