// `critter inspect ID...`: ContainerStatus (verbose) in crictl's JSON form: the status with its
// times as RFC 3339, next to each runtime info entry decoded from JSON (containerd's "info"
// holds the OCI spec, pid, snapshotter...). One container prints an object, several an array.
// With no ID, the containers that ps's filters select.
import type { Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState, ContainerStatusSchema, type ContainerStatusResponse } from '../../gen/runtime/v1/api_pb.js';
import { decodeInfo, messageJson, printJson } from '../output.js';
import type { CommandRunner } from '../program.js';
import { CliError, resolveContainerId } from '../resolve-id.js';
import { createdAgo, listContainers, stateName, type ListOptions } from './ps.js';

/** A CRI nanosecond time as RFC 3339 in UTC, fraction trimmed; 0 is Go's zero time, as crictl prints it. */
export function rfc3339Nano(ns: bigint): string {
  if (ns <= 0n) return '0001-01-01T00:00:00Z';
  const base = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

export function inspectJson(res: ContainerStatusResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const st = res.status;
  if (st) {
    const status = messageJson(ContainerStatusSchema, st) as Record<string, unknown>;
    status.createdAt = rfc3339Nano(st.createdAt);
    status.startedAt = rfc3339Nano(st.state !== ContainerState.CONTAINER_CREATED ? st.startedAt : 0n);
    const finished = st.state === ContainerState.CONTAINER_EXITED || (st.state === ContainerState.CONTAINER_UNKNOWN && st.finishedAt > 0n);
    status.finishedAt = rfc3339Nano(finished ? st.finishedAt : 0n);
    out.status = status;
  }
  return { ...out, ...decodeInfo(res.info) };
}

function printText(res: ContainerStatusResponse): void {
  const st = res.status;
  if (!st) return;
  const lines = [`ID: ${st.id}`];
  if (st.metadata?.name) lines.push(`Name: ${st.metadata.name}`);
  if (st.metadata?.attempt) lines.push(`Attempt: ${st.metadata.attempt}`);
  lines.push(`State: ${stateName(st.state)}`, `Created: ${createdAgo(st.createdAt)}`);
  if (st.state !== ContainerState.CONTAINER_CREATED) lines.push(`Started: ${createdAgo(st.startedAt)}`);
  if (st.state === ContainerState.CONTAINER_EXITED) {
    if (st.finishedAt > 0n) lines.push(`Finished: ${createdAgo(st.finishedAt)}`);
    lines.push(`Exit Code: ${st.exitCode}`);
  }
  for (const [title, map] of [['Labels', st.labels], ['Annotations', st.annotations]] as const) {
    const keys = Object.keys(map).sort();
    if (keys.length > 0) lines.push(`${title}:`, ...keys.map((k) => `\t${k} -> ${map[k]}`));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface InspectOptions extends ListOptions {
  output: string;
  quiet?: boolean;
}

export function registerInspect(program: Command, run: CommandRunner): void {
  program
    .command('inspect')
    .description('print the status of one or more containers')
    .argument('[container-id...]', 'container IDs or unique prefixes (default: those the filters select)')
    .option('-o, --output <format>', 'json or table', 'json')
    .option('-q, --quiet', 'leave out the runtime\'s verbose info')
    .option('-a, --all', 'with no ID: containers in every state')
    .option('--name <regexp>', 'with no ID: containers whose name matches')
    .option('-p, --pod <pod-id>', 'with no ID: containers of this pod')
    .option('-s, --state <state>', 'with no ID: containers in this state')
    .option('--label <key=value>', 'with no ID: containers with this label', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-l, --latest', 'with no ID: the most recently created container')
    .option('-n, --last <n>', 'with no ID: the n most recently created containers', (v: string) => Number(v))
    .action((args: string[], o: InspectOptions) =>
      run(async (ctx) => {
        if (o.output !== 'json' && o.output !== 'table') throw new CliError(Code.INVALID_ARGUMENT, `unsupported output format "${o.output}": use json or table`);
        const rt = ctx.clients.runtime;
        const ids = args.length > 0 ? [] : (await listContainers(ctx, o)).map((c) => c.id);
        for (const a of args) ids.push(await resolveContainerId(rt, a, ctx.deadline));
        if (ids.length === 0) throw new CliError(Code.NOT_FOUND, 'no container matches the filters');
        const results: ContainerStatusResponse[] = [];
        for (const id of ids) results.push(await rt.containerStatus({ containerId: id, verbose: !o.quiet }, { deadline: ctx.deadline() }));
        if (o.output === 'table') {
          results.forEach(printText);
          return;
        }
        const json = results.map(inspectJson);
        printJson(json.length === 1 ? json[0] : json);
      }),
    );
}
