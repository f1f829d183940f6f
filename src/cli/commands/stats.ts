// `critter stats [ID]`: ListContainerStats in crictl's columns (CONTAINER NAME CPU % MEM DISK
// INODES). CPU % needs two samples: the stats are read twice, --seconds apart, and the CPU time
// used in between is shown as a share of one core. Running containers only unless -a.
import { InvalidArgumentError, type Command } from 'commander';
import { create } from '@bufbuild/protobuf';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState, ListContainerStatsResponseSchema, type ContainerStats } from '../../gen/runtime/v1/api_pb.js';
import type { CliContext } from '../context.js';
import { messageJson, printJson, printTable } from '../output.js';
import type { CommandRunner } from '../program.js';
import { CliError } from '../resolve-id.js';
import { parseLabels, shortId } from './ps.js';

/** docker's go-units HumanSize: decimal units, four significant digits ("1.5MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** CPU time between two samples as a percentage of one core ("0.00" without two samples). */
export function cpuPercent(before: ContainerStats | undefined, after: ContainerStats): string {
  const a = before?.cpu;
  const b = after.cpu;
  if (!a?.usageCoreNanoSeconds || !b?.usageCoreNanoSeconds || b.timestamp <= a.timestamp) return '0.00';
  const used = Number(b.usageCoreNanoSeconds.value - a.usageCoreNanoSeconds.value);
  return ((Math.max(0, used) / Number(b.timestamp - a.timestamp)) * 100).toFixed(2);
}

interface StatsOptions {
  all?: boolean;
  id?: string;
  pod?: string;
  label: string[];
  output: string;
  seconds: number;
}

async function sample(ctx: CliContext, o: StatsOptions, id: string): Promise<ContainerStats[]> {
  const res = await ctx.clients.runtime.listContainerStats(
    { filter: { id, podSandboxId: o.pod ?? '', labelSelector: parseLabels(o.label) } },
    { deadline: ctx.deadline() },
  );
  return res.stats;
}

export function registerStats(program: Command, run: CommandRunner): void {
  program
    .command('stats')
    .description("list containers' resource usage (running ones unless -a)")
    .argument('[id]', 'only the container with this ID or ID prefix')
    .option('-a, --all', 'show containers in every state')
    .option('--id <id>', 'only the container with this ID or ID prefix')
    .option('-p, --pod <pod-id>', 'only containers of this pod')
    .option('-l, --label <key=value>', 'only containers with this label (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-o, --output <format>', 'json or table', 'table')
    .option('-s, --seconds <n>', 'seconds between the two samples CPU % is computed from', (v: string) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`--seconds takes a positive number, not "${v}"`);
      return Number(v);
    }, 1)
    .action((arg: string | undefined, o: StatsOptions) =>
      run(async (ctx) => {
        if (o.output !== 'table' && o.output !== 'json') throw new CliError(Code.INVALID_ARGUMENT, `unsupported output format "${o.output}": use json or table`);
        const id = arg ?? o.id ?? '';
        let running: Set<string> | undefined;
        if (!o.all) {
          const cs = await ctx.clients.runtime.listContainers({ filter: { state: { state: ContainerState.CONTAINER_RUNNING } } }, { deadline: ctx.deadline() });
          running = new Set(cs.containers.map((c) => c.id));
        }
        const pick = (l: ContainerStats[]) => l.filter((s) => !running || running.has(s.attributes?.id ?? ''));
        if (o.output === 'json') {
          printJson(messageJson(ListContainerStatsResponseSchema, create(ListContainerStatsResponseSchema, { stats: pick(await sample(ctx, o, id)) })));
          return;
        }
        const first = new Map(pick(await sample(ctx, o, id)).map((s) => [s.attributes?.id ?? '', s]));
        await new Promise((r) => setTimeout(r, o.seconds * 1000));
        const second = pick(await sample(ctx, o, id));
        printTable(
          ['CONTAINER', 'NAME', 'CPU %', 'MEM', 'DISK', 'INODES'],
          second.map((s) => {
            const cid = s.attributes?.id ?? '';
            return [
              shortId(cid),
              s.attributes?.metadata?.name ?? '',
              cpuPercent(first.get(cid), s),
              humanSize(Number(s.memory?.workingSetBytes?.value ?? 0n)),
              humanSize(Number(s.writableLayer?.usedBytes?.value ?? 0n)),
              String(s.writableLayer?.inodesUsed?.value ?? 0n),
            ];
          }),
        );
      }),
    );
}
