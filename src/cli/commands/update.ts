// `critter update [resource flags] ID...`: UpdateContainerResources with crictl's flags. A flag
// left out is sent as 0 / "", which CRI runtimes read as "leave as is". --memory also takes
// docker-style sizes (64m, 1g: powers of 1024) besides plain bytes.
import { InvalidArgumentError, type Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { LinuxContainerResourcesSchema } from '../../gen/runtime/v1/api_pb.js';
import type { CommandRunner } from '../program.js';
import { CliError, forEachContainer } from '../resolve-id.js';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes from "67108864", "64m", "64Mi", "64MiB", "1g", "512kb". */
export function parseMemorySize(text: string): bigint {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])i?b?|b)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a size: use bytes or e.g. 64m, 1g`);
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError(`"${text}" is too large`);
  return BigInt(bytes);
}

const int64 = (flag: string) => (v: string): bigint => {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${flag} takes a whole number, not "${v}"`);
  return BigInt(v.trim());
};

interface UpdateOptions {
  cpuPeriod?: bigint;
  cpuQuota?: bigint;
  cpuShare?: bigint;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: bigint;
  oomScoreAdj?: bigint;
}

export function registerUpdate(program: Command, run: CommandRunner): void {
  program
    .command('update')
    .description("update the resource limits of one or more running containers")
    .argument('<container-id...>', 'container IDs or unique prefixes')
    .option('--cpu-period <usecs>', 'CPU CFS period; 0 keeps it', int64('--cpu-period'))
    .option('--cpu-quota <usecs>', 'CPU CFS quota: CPU time allowed per period', int64('--cpu-quota'))
    .option('--cpu-share <shares>', 'CPU shares (weight against other containers)', int64('--cpu-share'))
    .option('--cpuset-cpus <cpus>', 'CPUs to run on, e.g. 0-2,4')
    .option('--cpuset-mems <nodes>', 'memory nodes to use')
    .option('--memory <bytes>', 'memory limit: bytes, or a size such as 64m or 1g', parseMemorySize)
    .option('--oom-score-adj <score>', 'OOM killer score adjustment', int64('--oom-score-adj'))
    .action((ids: string[], o: UpdateOptions) =>
      run(async (ctx) => {
        const linux: MessageInitShape<typeof LinuxContainerResourcesSchema> = {
          cpuPeriod: o.cpuPeriod ?? 0n,
          cpuQuota: o.cpuQuota ?? 0n,
          cpuShares: o.cpuShare ?? 0n,
          cpusetCpus: o.cpusetCpus ?? '',
          cpusetMems: o.cpusetMems ?? '',
          memoryLimitInBytes: o.memory ?? 0n,
          oomScoreAdj: o.oomScoreAdj ?? 0n,
        };
        if (Object.values(linux).every((v) => v === 0n || v === '')) {
          throw new CliError(Code.INVALID_ARGUMENT, 'nothing to update: give at least one resource flag');
        }
        await forEachContainer(ctx, ids, async (id) => {
          await ctx.clients.runtime.updateContainerResources({ containerId: id, linux }, { deadline: ctx.deadline() });
          process.stdout.write(`${id}\n`);
        });
      }),
    );
}
