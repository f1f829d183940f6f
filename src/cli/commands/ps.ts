// `critter ps`: ListContainers with crictl's filters and columns. The ID, pod and label
// filters are applied on this side as well, so prefixes and regexps behave the same against
// every runtime.
import { InvalidArgumentError, type Command } from 'commander';
import { create } from '@bufbuild/protobuf';
import { status as Code } from '@grpc/grpc-js';
import { ContainerState, ListContainersResponseSchema, type Container } from '../../gen/runtime/v1/api_pb.js';
import type { CliContext } from '../context.js';
import { messageJson, printJson, printTable } from '../output.js';
import type { CommandRunner } from '../program.js';
import { CliError } from '../resolve-id.js';

/** docker's go-units HumanDuration, which crictl prints as "<duration> ago". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 minutes ago" for a CRI timestamp in nanoseconds. */
export const createdAgo = (createdAtNs: bigint, now: number = Date.now()): string =>
  `${humanDuration(Math.max(0, now - Number(createdAtNs / 1_000_000n)))} ago`;

const STATE_NAMES: Record<string, ContainerState> = {
  created: ContainerState.CONTAINER_CREATED,
  running: ContainerState.CONTAINER_RUNNING,
  exited: ContainerState.CONTAINER_EXITED,
  unknown: ContainerState.CONTAINER_UNKNOWN,
};

export function stateName(s: ContainerState): string {
  switch (s) {
    case ContainerState.CONTAINER_CREATED:
      return 'Created';
    case ContainerState.CONTAINER_RUNNING:
      return 'Running';
    case ContainerState.CONTAINER_EXITED:
      return 'Exited';
    default:
      return 'Unknown';
  }
}

/** crictl's 13-character short form of an ID or image digest. */
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 13);

export interface ListOptions {
  all?: boolean;
  id?: string;
  pod?: string;
  name?: string;
  state?: string;
  label?: string[];
  latest?: boolean;
  last?: number;
}

export function parseLabels(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(Code.INVALID_ARGUMENT, `bad --label "${p}": use key=value`);
    labels[p.slice(0, i)] = p.slice(i + 1);
  }
  return labels;
}

/** The state and labels to filter on: running only unless told otherwise, as crictl does. */
export function containerFilter(o: ListOptions): { state?: ContainerState; labels: Record<string, string> } {
  const labels = parseLabels(o.label ?? []);
  let state: ContainerState | undefined;
  if (o.state !== undefined && o.state !== '') {
    state = STATE_NAMES[o.state.toLowerCase()];
    if (state === undefined) throw new CliError(Code.INVALID_ARGUMENT, '--state must be one of created, running, exited or unknown');
  } else if (!o.all) {
    state = ContainerState.CONTAINER_RUNNING;
  }
  // --latest and --last look at every state (crictl's help says so).
  if (o.latest || (o.last ?? 0) > 0) state = undefined;
  return state === undefined ? { labels } : { state, labels };
}

/** The containers the options select, newest first. */
export async function listContainers(ctx: CliContext, o: ListOptions): Promise<Container[]> {
  const { state, labels } = containerFilter(o);
  let nameRe: RegExp | undefined;
  try {
    nameRe = o.name ? new RegExp(o.name) : undefined;
  } catch (e) {
    throw new CliError(Code.INVALID_ARGUMENT, `bad --name regular expression: ${(e as Error).message}`);
  }
  const res = await ctx.clients.runtime.listContainers(
    { filter: { labelSelector: labels, ...(state === undefined ? {} : { state: { state } }) } },
    { deadline: ctx.deadline() },
  );
  const picked = res.containers.filter(
    (c) =>
      (!o.id || c.id.startsWith(o.id)) &&
      (!o.pod || c.podSandboxId.startsWith(o.pod)) &&
      (state === undefined || c.state === state) &&
      Object.entries(labels).every(([k, v]) => c.labels[k] === v) &&
      (!nameRe || nameRe.test(c.metadata?.name ?? '')),
  );
  picked.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const n = (o.last ?? 0) > 0 ? o.last! : o.latest ? 1 : picked.length;
  return picked.slice(0, n);
}

const POD_NAME_LABEL = 'io.kubernetes.pod.name';

interface PsOptions extends ListOptions {
  quiet?: boolean;
  output: string;
  /** False with --no-trunc. */
  trunc: boolean;
}

export function registerPs(program: Command, run: CommandRunner): void {
  program
    .command('ps')
    .description('list containers (running ones unless -a)')
    .option('-a, --all', 'show containers in every state')
    .option('--id <id>', 'only the container with this ID or ID prefix')
    .option('-p, --pod <pod-id>', 'only containers of this pod (ID or ID prefix)')
    .option('--name <regexp>', 'only containers whose name matches')
    .option('-s, --state <state>', 'only containers in this state: created, running, exited, unknown')
    .option('--label <key=value>', 'only containers with this label (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-l, --latest', 'only the most recently created container (any state)')
    .option('-n, --last <n>', 'only the n most recently created containers (any state)', (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`--last takes a number, not "${v}"`);
      return Number(v);
    })
    .option('-q, --quiet', 'print only the container IDs')
    .option('-o, --output <format>', 'json or table', 'table')
    .option('--no-trunc', 'print IDs in full')
    .action((o: PsOptions) =>
      run(async (ctx) => {
        if (o.output !== 'table' && o.output !== 'json') throw new CliError(Code.INVALID_ARGUMENT, `unsupported output format "${o.output}": use json or table`);
        const containers = await listContainers(ctx, o);
        if (o.output === 'json') {
          printJson(messageJson(ListContainersResponseSchema, create(ListContainersResponseSchema, { containers })));
          return;
        }
        if (o.quiet) {
          for (const c of containers) process.stdout.write(`${c.id}\n`);
          return;
        }
        // Kubernetes labels name the pod; for pods made by hand, ask the runtime.
        const podNames = new Map<string, string>();
        if (containers.some((c) => c.labels[POD_NAME_LABEL] === undefined)) {
          const pods = await ctx.clients.runtime.listPodSandbox({}, { deadline: ctx.deadline() });
          for (const p of pods.items) podNames.set(p.id, p.metadata?.name ?? '');
        }
        const trunc = o.trunc ? shortId : (s: string) => s;
        const now = Date.now();
        printTable(
          ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
          containers.map((c) => {
            const image = c.image?.image ?? '';
            return [
              trunc(c.id),
              /^sha256:[0-9a-f]{64}$/.test(image) ? trunc(image) : image,
              createdAgo(c.createdAt, now),
              stateName(c.state),
              c.metadata?.name ?? '',
              String(c.metadata?.attempt ?? 0),
              trunc(c.podSandboxId),
              c.labels[POD_NAME_LABEL] ?? (podNames.get(c.podSandboxId) || 'unknown'),
            ];
          }),
        );
      }),
    );
}
