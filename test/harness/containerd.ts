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

export async function startContainerd(extraToml = ''): Promise<ContainerdHandle> {
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
[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = "${dir}/cni"
${extraToml}
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
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
