// critterd: the CRI daemon's command line. Flags follow containerd's names.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_ROOT, DEFAULT_SOCKET, DEFAULT_STATE } from '../config/defaults.js';
import { startDaemon, type Daemon } from '../daemon/daemon.js';
import { errorMessage } from '../util/errors.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../util/log.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('critterd')
  .description('critter: a Kubernetes container runtime serving the CRI v1 API on a unix socket')
  .version(pkg.version)
  .option('--config <file>', `TOML config file (default ${DEFAULT_CONFIG_FILE}; embedded defaults when that is absent)`)
  .option('--socket <path>', 'CRI unix socket', DEFAULT_SOCKET)
  .option('--root <dir>', 'persistent state directory', DEFAULT_ROOT)
  .option('--state <dir>', 'runtime state directory', DEFAULT_STATE)
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as string[]).default('info'))
  .allowExcessArguments(false);

program.parse();
const opts = program.opts<{ config?: string; socket: string; root: string; state: string; logLevel: LogLevel }>();
const log = createLogger(opts.logLevel);

async function main(): Promise<void> {
  const config = loadConfig({ configFile: opts.config, root: opts.root, state: opts.state, socket: opts.socket });
  const starting: Promise<Daemon> = startDaemon(config, pkg.version, log);
  // Handlers are in place before the first await: a signal that arrives while critterd is still
  // starting waits for the start to finish, then stops it cleanly (never a half-started daemon
  // killed with its socket left behind).
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    starting
      .then((daemon) => daemon.stop())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: errorMessage(e) }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await starting;
}

main().catch((e: unknown) => {
  log.fatal({ err: errorMessage(e) }, 'critterd cannot start');
  process.stderr.write(`critterd: ${errorMessage(e)}\n`);
  process.exit(1);
});
