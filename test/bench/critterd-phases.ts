// Where critterd's pod start time goes, read back from its debug log (pino JSON lines): each
// `rpc` line gives an RPC's end and duration, and the RPC's own lines in between mark its
// phases. Assumes the RPCs ran one at a time (as the benchmark sends them). Timestamps are
// whole milliseconds. Phases whose marker lines are missing are left out, not guessed.

interface LogLine {
  time: number;
  msg?: string;
  method?: string;
  durationMs?: number;
  command?: string;
  plugin?: string;
  conmon?: string;
}

function parse(logs: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as LogLine;
      if (typeof j.time === 'number') out.push(j);
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/** Phase name -> durations in ms, in the order phases happen. */
export function critterdPhases(logs: string): Map<string, number[]> {
  const lines = parse(logs);
  const phases = new Map<string, number[]>();
  const add = (k: string, v: number): void => void phases.set(k, [...(phases.get(k) ?? []), v]);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.msg !== 'rpc' || typeof l.method !== 'string' || typeof l.durationMs !== 'number') continue;
    const t0 = l.time - l.durationMs;
    const own: LogLine[] = [];
    for (let j = i - 1; j >= 0 && lines[j]!.msg !== 'rpc' && lines[j]!.time >= t0 - 1; j--) own.unshift(lines[j]!);
    const method = l.method.split('/').pop();
    if (method === 'RunPodSandbox') {
      const adds = own.filter((x) => x.msg === 'running CNI plugin' && x.command === 'ADD');
      const attached = own.find((x) => x.msg === 'pod attached to network');
      if (adds.length === 0 || !attached) continue;
      add('RunPodSandbox: before CNI (netns/ipc/uts files, lo up, hostname, shm, record)', adds[0]!.time - t0);
      for (let k = 0; k < adds.length; k++) {
        add(`RunPodSandbox: CNI ${adds[k]!.plugin ?? '?'} ADD`, (adds[k + 1] ?? attached).time - adds[k]!.time);
      }
      add('RunPodSandbox: after CNI (files, record)', l.time - attached.time);
    } else if (method === 'CreateContainer') {
      const spawn = own.find((x) => typeof x.conmon === 'string');
      if (!spawn) continue;
      add('CreateContainer: before conmon (rootfs, spec)', spawn.time - t0);
      add('CreateContainer: conmon + runtime create', l.time - spawn.time);
    } else if (method === 'StartContainer') {
      add('StartContainer: runtime start', l.durationMs);
    }
  }
  return phases;
}
