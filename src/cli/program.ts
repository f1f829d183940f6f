// The critter client: crictl's verbs and global flags against any CRI socket.
import { Command } from 'commander';
import { describeCallError, openContext, type CliContext, type GlobalOptions } from './context.js';
import { registerVersion } from './commands/version.js';
import { registerInfo } from './commands/info.js';
import { registerPull } from './commands/pull.js';
import { registerImages } from './commands/images.js';
import { registerInspecti } from './commands/inspecti.js';
import { registerRmi } from './commands/rmi.js';
import { registerImagefsinfo } from './commands/imagefsinfo.js';
import { registerRunp } from './commands/runp.js';
import { registerStopp } from './commands/stopp.js';
import { registerRmp } from './commands/rmp.js';
import { registerPods } from './commands/pods.js';
import { registerInspectp } from './commands/inspectp.js';
import { registerCreate } from './commands/create.js';
import { registerStart } from './commands/start.js';
import { registerStop } from './commands/stop.js';
import { registerRm } from './commands/rm.js';
import { registerPs } from './commands/ps.js';
import { registerInspect } from './commands/inspect.js';
import { registerLogs } from './commands/logs.js';
import { registerExec } from './commands/exec.js';
import { registerUpdate } from './commands/update.js';
import { registerStats } from './commands/stats.js';

export type CommandRunner = (body: (ctx: CliContext) => Promise<void>) => Promise<void>;

export function buildProgram(version: string): Command {
  const program = new Command('critter')
    .description('critter: a CRI client (crictl-style verbs) for critter, containerd or any CRI runtime')
    .version(version, '--version', 'print the client version')
    .option('-r, --runtime-endpoint <endpoint>', 'CRI endpoint (default: $CONTAINER_RUNTIME_ENDPOINT, then unix:///run/critter/critter.sock)')
    .option('-i, --image-endpoint <endpoint>', 'image service endpoint (default: the runtime endpoint)')
    .option('-t, --timeout <duration>', 'timeout of each call, e.g. 10s', '10s')
    .option('-D, --debug', 'print debug output')
    // Global options go before the verb, as with crictl: after it, -t is stop's grace period or
    // logs' --timestamps, and exec's command keeps its own options.
    .enablePositionalOptions()
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
  registerPull(program, run);
  registerImages(program, run);
  registerInspecti(program, run);
  registerRmi(program, run);
  registerImagefsinfo(program, run);
  registerRunp(program, run);
  registerStopp(program, run);
  registerRmp(program, run);
  registerPods(program, run);
  registerInspectp(program, run);
  registerCreate(program, run);
  registerStart(program, run);
  registerStop(program, run);
  registerRm(program, run);
  registerPs(program, run);
  registerInspect(program, run);
  registerLogs(program, run);
  registerExec(program, run);
  registerUpdate(program, run);
  registerStats(program, run);
  return program;
}
