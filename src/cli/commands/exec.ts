// `critter exec [--timeout S] ID CMD [ARG...]`: ExecSync, the command's output on our stdout and
// stderr, and its exit code as ours. Interactive exec (-i/-t) needs the streaming server and is
// refused for now rather than half done.
import type { Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import type { CommandRunner } from '../program.js';
import { CliError, resolveContainerId } from '../resolve-id.js';
import { parseCount } from './stop.js';

interface ExecOptions {
  timeout: number;
  interactive?: boolean;
  tty?: boolean;
  sync?: boolean;
}

const write = (s: NodeJS.WriteStream, data: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));

export function registerExec(program: Command, run: CommandRunner): void {
  program
    .command('exec')
    .description('run a command in a running container and exit with its status')
    .argument('<container-id>', 'container ID or unique prefix')
    .argument('<command...>', 'the command and its arguments (options after the ID belong to it)')
    .option('--timeout <seconds>', 'kill the command after this many seconds; 0 waits for ever', parseCount('--timeout'), 0)
    .option('-s, --sync', 'run synchronously (the only mode for now)')
    .option('-i, --interactive', 'keep stdin open (not yet supported)')
    .option('-t, --tty', 'allocate a terminal (not yet supported)')
    // Everything after the container ID is the command's, even when it looks like an option.
    .passThroughOptions()
    .action((idArg: string, cmd: string[], o: ExecOptions) =>
      run(async (ctx) => {
        if (o.interactive || o.tty) {
          throw new CliError(
            Code.UNIMPLEMENTED,
            'interactive exec (-i/-t) needs the streaming server, which critter does not support yet; run a command without -i/-t',
          );
        }
        const id = await resolveContainerId(ctx.clients.runtime, idArg, ctx.deadline);
        // With no exec timeout the command may run as long as it likes; else allow the call
        // the exec timeout plus the usual per-call timeout.
        const options = o.timeout > 0 ? { deadline: new Date(ctx.deadline().getTime() + o.timeout * 1000) } : {};
        const res = await ctx.clients.runtime.execSync({ containerId: id, cmd, timeout: BigInt(o.timeout) }, options);
        await write(process.stdout, res.stdout);
        await write(process.stderr, res.stderr);
        process.exitCode = res.exitCode;
      }),
    );
}
