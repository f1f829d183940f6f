// Every CRI RPC is reachable; the ones of the foundation answer as the CRI documents; the rest
// answer UNIMPLEMENTED naming themselves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { CgroupDriver, ImageService, RuntimeService } from '../../../src/gen/runtime/v1/api_pb.js';
import { startCritterd, type CritterdHandle } from '../../harness/daemon.js';

let d: CritterdHandle;
let cniDir: string;

before(async () => {
  const dir = (await import('../../harness/daemon.js')).newTestDir();
  cniDir = join(dir, 'cni');
  d = await startCritterd({
    dir,
    config: `[network]\ncni_conf_dir = "${cniDir}"\n[cgroup]\ndriver = "systemd"\n[image]\nmax_concurrent_downloads = 7\n`,
  });
});
after(async () => {
  await d.stop();
});

test('Version reports critter, its package version and API v1', async () => {
  const v = await d.clients.runtime.version({ version: 'v1' });
  assert.equal(v.runtimeName, 'critter');
  assert.equal(v.runtimeApiVersion, 'v1');
  const pkg = (await import('../../../package.json', { with: { type: 'json' } })).default as { version: string };
  assert.equal(v.runtimeVersion, pkg.version);
});

test('Status: RuntimeReady, and NetworkReady follows the CNI conf dir', async () => {
  let s = await d.clients.runtime.status({});
  const cond = (t: string) => s.status?.conditions.find((c) => c.type === t);
  assert.equal(cond('RuntimeReady')?.status, true);
  assert.equal(cond('NetworkReady')?.status, false);
  assert.equal(cond('NetworkReady')?.reason, 'NetworkPluginNotReady');
  assert.match(cond('NetworkReady')?.message ?? '', /does not exist/);
  assert.deepEqual(s.info, {}, 'no info without verbose');

  mkdirSync(cniDir, { recursive: true });
  writeFileSync(join(cniDir, '10-broken.conflist'), '{ not json');
  s = await d.clients.runtime.status({});
  assert.equal(cond('NetworkReady')?.status, false);
  assert.match(cond('NetworkReady')?.message ?? '', /10-broken.conflist/);

  writeFileSync(
    join(cniDir, '20-net.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'critter', plugins: [{ type: 'bridge' }, { type: 'loopback' }] }),
  );
  s = await d.clients.runtime.status({});
  assert.equal(cond('NetworkReady')?.status, true);
  rmSync(join(cniDir, '20-net.conflist'));
  s = await d.clients.runtime.status({});
  assert.equal(cond('NetworkReady')?.status, false);
});

test('Status verbose puts the effective config as JSON in info', async () => {
  const s = await d.clients.runtime.status({ verbose: true });
  const cfg = JSON.parse(s.info.config ?? '{}') as { source: string; image: { maxConcurrentDownloads: number }; cgroup: { driver: string } };
  assert.equal(cfg.source, d.configFile);
  assert.equal(cfg.image.maxConcurrentDownloads, 7);
  assert.equal(cfg.cgroup.driver, 'systemd');
  assert.deepEqual(s.runtimeHandlers.map((h) => h.name), ['crun', 'runc']);
});

test('RuntimeConfig reports the configured cgroup driver', async () => {
  const r = await d.clients.runtime.runtimeConfig({});
  assert.equal(r.linux?.cgroupDriver, CgroupDriver.SYSTEMD);
});

test('UpdateRuntimeConfig keeps the pod CIDR, and refuses a malformed one', async () => {
  await d.clients.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.88.0.0/16,fd00:10::/64' } } });
  const { readFileSync } = await import('node:fs');
  const kept = JSON.parse(readFileSync(join(d.root, 'network', 'runtime-config.json'), 'utf8')) as { podCidrs: string[] };
  assert.deepEqual(kept.podCidrs, ['10.88.0.0/16', 'fd00:10::/64']);
  await assert.rejects(
    d.clients.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.88.0.0' } } }),
    (e: ServiceError) => e.code === Code.INVALID_ARGUMENT && /pod CIDR "10.88.0.0"/.test(e.details),
  );
  // An empty update (the kubelet sends one before it knows the CIDR) keeps the old value.
  await d.clients.runtime.updateRuntimeConfig({});
  assert.deepEqual((JSON.parse(readFileSync(join(d.root, 'network', 'runtime-config.json'), 'utf8')) as { podCidrs: string[] }).podCidrs, ['10.88.0.0/16', 'fd00:10::/64']);
});

test('messages larger than 4 MiB are accepted (16 MiB limit both ways)', async () => {
  const big = 'x'.repeat(6 * 1024 * 1024);
  await assert.rejects(
    d.clients.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: big } } }),
    (e: ServiceError) => e.code === Code.INVALID_ARGUMENT,
  );
});

// Grows as each issue lands; everything else must still answer UNIMPLEMENTED naming itself.
const IMPLEMENTED = new Set([
  'Version', 'Status', 'RuntimeConfig', 'UpdateRuntimeConfig',
  'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ContainerStatus', 'ListContainers',
  'UpdateContainerResources', 'ReopenContainerLog', 'ExecSync',
  'ContainerStats', 'ListContainerStats', 'PodSandboxStats', 'ListPodSandboxStats',
  'ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo',
]);

test('every other RPC of both services answers UNIMPLEMENTED naming itself', async () => {
  for (const svc of [RuntimeService, ImageService]) {
    const client = (svc === RuntimeService ? d.clients.runtime : d.clients.image) as unknown as Record<
      string,
      (req: object) => Promise<unknown> | AsyncIterable<unknown>
    >;
    for (const m of svc.methods) {
      if (IMPLEMENTED.has(m.name)) continue;
      const call = async (): Promise<unknown> => {
        const r = client[m.localName]!({});
        if (Symbol.asyncIterator in Object(r)) {
          for await (const _ of r as AsyncIterable<unknown>) {
            /* drain */
          }
          return undefined;
        }
        return r;
      };
      await assert.rejects(call(), (e: ServiceError) => {
        assert.equal(e.code, Code.UNIMPLEMENTED, `${m.name}: ${e.message}`);
        assert.match(e.details, new RegExp(`${svc.name}/${m.name} is not implemented`));
        return true;
      });
    }
  }
});
