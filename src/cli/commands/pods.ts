import type { Command } from 'commander';
import { ListPodSandboxResponseSchema, PodSandboxState, type PodSandbox } from '../../gen/runtime/v1/api_pb.js';
import type { CliContext } from '../context.js';
import { messageJson, printJson, printTable } from '../output.js';
import type { CommandRunner } from '../program.js';

interface PodsOptions {
  quiet?: boolean;
  output?: string;
  name?: string;
  namespace?: string;
  state?: string;
  label: string[];
  id?: string;
  trunc?: boolean;
}

/** Full ids for what the user typed: exact ids or unique prefixes, as crictl resolves them. */
export async function resolvePodIds(ctx: CliContext, given: readonly string[]): Promise<string[]> {
  const res = await ctx.clients.runtime.listPodSandbox({}, { deadline: ctx.deadline() });
  const ids = res.items.map((p) => p.id);
  return given.map((g) => {
    if (ids.includes(g)) return g;
    const m = ids.filter((id) => id.startsWith(g));
    if (m.length === 1) return m[0]!;
    throw new Error(m.length === 0 ? `no pod sandbox matches "${g}"` : `"${g}" matches ${m.length} pod sandboxes; give more of the id`);
  });
}

/** "3 seconds ago", "About a minute ago", "2 hours ago": crictl's wording. */
export function ago(createdAtNs: bigint, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Number(createdAtNs / 1_000_000n)) / 1000));
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute ago';
  if (m < 60) return `${m} minutes ago`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour ago';
  if (h < 48) return `${h} hours ago`;
  return `${Math.round(h / 24)} days ago`;
}

const stateName = (s: PodSandboxState): string => (s === PodSandboxState.SANDBOX_READY ? 'Ready' : 'NotReady');

function parseLabels(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`bad --label "${p}": use key=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function parseState(s: string | undefined): PodSandboxState | undefined {
  if (s === undefined) return undefined;
  const v = s.toLowerCase();
  if (v === 'ready' || v === 'sandbox_ready') return PodSandboxState.SANDBOX_READY;
  if (v === 'notready' || v === 'sandbox_notready') return PodSandboxState.SANDBOX_NOTREADY;
  throw new Error(`bad --state "${s}": use ready or notready`);
}

export function registerPods(program: Command, run: CommandRunner): void {
  program
    .command('pods')
    .description('list pod sandboxes (crictl columns: POD ID CREATED STATE NAME NAMESPACE ATTEMPT RUNTIME)')
    .option('-q, --quiet', 'only pod ids')
    .option('-o, --output <format>', 'json or table', 'table')
    .option('--name <regexp>', 'only pods whose name matches')
    .option('--namespace <regexp>', 'only pods whose namespace matches')
    .option('-s, --state <state>', 'ready or notready')
    .option('-l, --label <key=value>', 'only pods with this label (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--id <id>', 'only the pod with this id or id prefix')
    .option('--no-trunc', 'full ids')
    .action((o: PodsOptions) =>
      run(async (ctx) => {
        const state = parseState(o.state);
        const res = await ctx.clients.runtime.listPodSandbox(
          { filter: { id: o.id ?? '', labelSelector: parseLabels(o.label), ...(state !== undefined ? { state: { state } } : {}) } },
          { deadline: ctx.deadline() },
        );
        const name = o.name !== undefined ? new RegExp(o.name) : undefined;
        const ns = o.namespace !== undefined ? new RegExp(o.namespace) : undefined;
        res.items = res.items
          .filter((p: PodSandbox) => (!name || name.test(p.metadata?.name ?? '')) && (!ns || ns.test(p.metadata?.namespace ?? '')))
          .sort((a, b) => (a.createdAt > b.createdAt ? -1 : a.createdAt < b.createdAt ? 1 : 0));
        if (o.output === 'json') return printJson(messageJson(ListPodSandboxResponseSchema, res));
        if (o.output !== undefined && o.output !== 'table') throw new Error(`bad --output "${o.output}": use json or table`);
        if (o.quiet) {
          for (const p of res.items) process.stdout.write(`${p.id}\n`);
          return;
        }
        const rows = res.items.map((p) => [
          o.trunc === false ? p.id : p.id.slice(0, 13),
          ago(p.createdAt),
          stateName(p.state),
          p.metadata?.name ?? '',
          p.metadata?.namespace ?? '',
          String(p.metadata?.attempt ?? 0),
          p.runtimeHandler || '(default)',
        ]);
        printTable(['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'], rows);
      }),
    );
}
