// The critter client: crictl's verbs and global flags against any CRI socket.
import { Command } from 'commander';
import { describeCallError, openContext, type CliContext, type GlobalOptions } from './context.js';
import { registerVersion } from './commands/version.js';
import { registerInfo } from './commands/info.js';

export type CommandRunner = (body: (ctx: CliContext) => Promise<void>) => Promise<void>;

export function buildProgram(version: string): Command {
  const program = new Command('critter')
    .description('critter: a CRI client (crictl-style verbs) for critter, containerd or any CRI runtime')
    .version(version, '--version', 'print the client version')
    .option('-r, --runtime-endpoint <endpoint>', 'CRI endpoint (default: $CONTAINER_RUNTIME_ENDPOINT, then unix:///run/critter/critter.sock)')
    .option('-i, --image-endpoint <endpoint>', 'image service endpoint (default: the runtime endpoint)')
    .option('-t, --timeout <duration>', 'timeout of each call, e.g. 10s', '10s')
    .option('-D, --debug', 'print debug output')
    .showHelpAfterError();

  const run: CommandRunner = async (body) => {
    let ctx: CliContext | undefined;
    try {
      ctx = await openContext(program.opts<GlobalOptions>());
      await body(ctx);
    } catch (e) {
      process.stderr.write(`critter: ${describeCallError(e)}\n`);
      process.exitCode = 1;
    } finally {
      ctx?.close();
    }
  };

  registerVersion(program, run);
  registerInfo(program, run);
  return program;
}
