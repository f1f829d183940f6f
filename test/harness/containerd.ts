// A real containerd (Debian's package) on a private root, state and socket: the peer that the
// client must work against and the benchmarks compare with.
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCriClients } from '../../src/server/service-definitions.js';
import { newTestDir } from './daemon.js';

export const CONTAINERD = '/usr/bin/containerd';

export interface ContainerdHandle {
  dir: string;
  socket: string;
  stop(): Promise<void>;
}

export function containerdAvailable(): boolean {
  return existsSync(CONTAINERD);
}

/** CRI plugin settings that live in tables the generated config already writes. */
export interface ContainerdCriOptions {
  cniConfDir?: string;
  /** containerd 1.6 takes a single directory. */
  cniBinDir?: string;
  sandboxImage?: string;
  /** A hosts.toml tree: <dir>/<host:port>/hosts.toml. */
  registryConfigPath?: string;
  /** Keep containers' oom_score_adj at or above containerd's: for hosts that forbid lowering it. */
  restrictOomScoreAdj?: boolean;
}

function criTable(cri: ContainerdCriOptions): string {
  const keys = [
    ...(cri.sandboxImage ? [`  sandbox_image = "${cri.sandboxImage}"`] : []),
    ...(cri.restrictOomScoreAdj ? ['  restrict_oom_score_adj = true'] : []),
  ];
  // Written only when needed, so extraToml may still define the table itself.
  return keys.length > 0 ? `[plugins."io.containerd.grpc.v1.cri"]\n${keys.join('\n')}\n` : '';
}

export async function startContainerd(extraToml = '', cri: ContainerdCriOptions = {}): Promise<ContainerdHandle> {
  const dir = newTestDir('critter-containerd-');
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
${criTable(cri)}[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = "${cri.cniConfDir ?? `${dir}/cni`}"
${cri.cniBinDir ? `  bin_dir = "${cri.cniBinDir}"\n` : ''}${cri.registryConfigPath ? `[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${cri.registryConfigPath}"\n` : ''}${extraToml}
`,
  );
  const child = spawn(CONTAINERD, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const clients = makeCriClients(socket);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`containerd exited early:\n${stderr}`);
      try {
        await clients.runtime.version({}, { deadline: new Date(Date.now() + 1000) });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`containerd did not answer within 30 s:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    clients.close();
  }
  return {
    dir,
    socket,
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
