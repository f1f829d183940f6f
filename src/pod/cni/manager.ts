// Attaching pods to the node's CNI network: ADD, DEL and CHECK over the plugin chain, with the
// attachment cached on disk so DEL and CHECK use what ADD used. ADD and DEL of one pod never
// overlap; different pods proceed concurrently.
import { existsSync } from 'node:fs';
import { errorMessage, failedPrecondition, internal, invalidArgument, notFound } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { findNetwork, type CniNetworkList, type ConfDirResult } from './conf-dir.js';
import { KeyedMutex } from './keyed-mutex.js';
import { execPlugin, findPlugin, type CniCommand } from './plugin-exec.js';
import { capabilityArgs, cniArgs, pluginStdin, type PodNetworkOptions } from './plugin-stdin.js';
import { ResultCache, type CachedAttachment, type CachedNetwork } from './result-cache.js';
import { parseCniResult, podIps, type CniResult, type PodIps } from './result.js';
import { delTakesPrevResult, supportsCheck } from './version.js';

export const DEFAULT_IFNAME = 'eth0';

export interface CniManagerOptions {
  confDir: string;
  /** Searched in order for plugin executables (CNI_PATH). */
  binDirs: readonly string[];
  /** Where attachments are kept, e.g. <root>/cni/results. */
  cacheDir: string;
  logger?: Logger;
  /** The node's network; findNetwork(confDir) when absent. */
  loadNetwork?: () => ConfDirResult;
  /** Bound on the DEL that undoes a failed ADD. */
  cleanupTimeoutMs?: number;
}

export interface PodRef {
  name: string;
  namespace: string;
  uid: string;
}

export interface AddRequest {
  /** The sandbox id: CNI_CONTAINERID and K8S_POD_INFRA_CONTAINER_ID. */
  podId: string;
  netnsPath: string;
  pod: PodRef;
  ifName?: string;
  options?: PodNetworkOptions;
  /** Aborting kills the running plugin. */
  signal?: AbortSignal;
}

export interface DelRequest {
  podId: string;
  /** Omitted or gone: the cached path if it still exists, else none (plugins then clean up what they can). */
  netnsPath?: string;
  /** Used only when nothing is cached. */
  pod?: PodRef;
  ifName?: string;
  options?: PodNetworkOptions;
  signal?: AbortSignal;
}

export interface CheckRequest {
  podId: string;
  netnsPath: string;
  ifName?: string;
  signal?: AbortSignal;
}

export interface PodNetworkAttachment {
  networkName: string;
  ips: PodIps;
  result: CniResult;
}

function cachedNetwork(n: CniNetworkList): CachedNetwork {
  const net: CachedNetwork = { name: n.name, cniVersion: n.cniVersion, plugins: n.plugins, file: n.file };
  if (n.raw.disableCheck === true) net.disableCheck = true;
  return net;
}

export class CniManager {
  private readonly cache: ResultCache;
  private readonly locks = new KeyedMutex();
  private readonly log: Logger;
  private readonly loadNetwork: () => ConfDirResult;

  constructor(private readonly opts: CniManagerOptions) {
    this.log = opts.logger ?? silentLogger();
    this.cache = new ResultCache(opts.cacheDir, this.log);
    this.loadNetwork = opts.loadNetwork ?? (() => findNetwork(opts.confDir));
  }

  /** Runs ADD through the chain; on any failure the partial attachment is undone with DEL. */
  add(req: AddRequest): Promise<PodNetworkAttachment> {
    const ifName = req.ifName ?? DEFAULT_IFNAME;
    return this.locks.run(req.podId, async () => {
      const found = this.loadNetwork();
      if (!found.ok) throw failedPrecondition(`the pod network is not ready: ${found.reason}`);
      const network = cachedNetwork(found.network);
      const executables = this.resolve(network);
      const entry: CachedAttachment = {
        version: 1,
        containerId: req.podId,
        ifName,
        netns: req.netnsPath,
        network,
        cniArgs: cniArgs({ ...req.pod, infraContainerId: req.podId }),
        capabilityArgs: capabilityArgs(req.options ?? {}),
      };
      // Written before the first plugin runs, so a crash mid-ADD still leaves DEL the config to undo.
      this.cache.write(entry);
      try {
        let prev: Record<string, unknown> | undefined;
        for (const [i, plugin] of network.plugins.entries()) {
          const out = await this.exec('ADD', entry, plugin.type, executables[i]!, pluginStdin(plugin, network, prev, entry.capabilityArgs), req.netnsPath, req.signal);
          if (out === undefined) throw internal(`CNI plugin "${plugin.type}" returned no result for ADD of pod ${req.podId}`);
          prev = out;
        }
        const result = parseCniResult(prev);
        const ips = podIps(result, ifName);
        if (!ips) throw internal(`network "${network.name}" gave pod ${req.podId} no IP address on ${ifName}`);
        this.cache.write({ ...entry, result: prev });
        this.log.info({ podId: req.podId, network: network.name, ip: ips.primary, more: ips.additional }, 'pod attached to network');
        return { networkName: network.name, ips, result };
      } catch (e) {
        await this.undoFailedAdd(entry, executables, e);
        throw e;
      }
    });
  }

  /** Runs DEL through the chain in reverse. Nothing cached and no network: nothing to do. */
  del(req: DelRequest): Promise<void> {
    const ifName = req.ifName ?? DEFAULT_IFNAME;
    return this.locks.run(req.podId, async () => {
      let entry = this.cache.read(req.podId, ifName);
      if (!entry) {
        const found = this.loadNetwork();
        if (!found.ok) {
          this.log.warn({ podId: req.podId, reason: found.reason }, 'no cached attachment and no network config; skipping CNI DEL');
          return;
        }
        entry = {
          version: 1,
          containerId: req.podId,
          ifName,
          netns: '',
          network: cachedNetwork(found.network),
          cniArgs: cniArgs({ name: req.pod?.name ?? '', namespace: req.pod?.namespace ?? '', uid: req.pod?.uid ?? '', infraContainerId: req.podId }),
          capabilityArgs: capabilityArgs(req.options ?? {}),
        };
      }
      const netns = [req.netnsPath, entry.netns].find((p): p is string => p !== undefined && p !== '' && existsSync(p)) ?? '';
      await this.runDel(entry, this.resolve(entry.network), netns, req.signal);
      this.cache.remove(req.podId, ifName);
      this.log.info({ podId: req.podId, network: entry.network.name }, 'pod detached from network');
    });
  }

  /** Runs CHECK through the chain with the cached result; needs spec 0.4.0 or newer. */
  check(req: CheckRequest): Promise<void> {
    const ifName = req.ifName ?? DEFAULT_IFNAME;
    return this.locks.run(req.podId, async () => {
      const entry = this.cache.read(req.podId, ifName);
      if (!entry?.result) throw notFound(`pod ${req.podId} has no recorded attachment to a CNI network`);
      const { network } = entry;
      if (!supportsCheck(network.cniVersion)) {
        throw failedPrecondition(`network "${network.name}" uses CNI ${network.cniVersion || '(unset)'}; CHECK needs 0.4.0 or newer`);
      }
      if (network.disableCheck === true) return;
      const executables = this.resolve(network);
      for (const [i, plugin] of network.plugins.entries()) {
        await this.exec('CHECK', entry, plugin.type, executables[i]!, pluginStdin(plugin, network, entry.result, entry.capabilityArgs), req.netnsPath, req.signal);
      }
    });
  }

  /** The result of the pod's last successful ADD, if any; e.g. for its IPs after a restart. */
  attachment(podId: string, ifName = DEFAULT_IFNAME): PodNetworkAttachment | undefined {
    const entry = this.cache.read(podId, ifName);
    if (!entry?.result) return undefined;
    const result = parseCniResult(entry.result);
    const ips = podIps(result, ifName);
    return ips ? { networkName: entry.network.name, ips, result } : undefined;
  }

  /** Every plugin's executable, before anything runs: a missing one fails the whole operation cleanly. */
  private resolve(network: CachedNetwork): string[] {
    if (network.plugins.length === 0) throw invalidArgument(`network "${network.name}" has no plugins`);
    return network.plugins.map((p) => findPlugin(p.type, this.opts.binDirs));
  }

  /**
   * DEL in reverse order. Normally the first failure stops it, as in libcni, and the caller's
   * retry starts over; bestEffort runs every plugin anyway and throws the first failure after.
   */
  private async runDel(entry: CachedAttachment, executables: string[], netns: string, signal: AbortSignal | undefined, bestEffort = false): Promise<void> {
    const { network } = entry;
    const prev = delTakesPrevResult(network.cniVersion) ? entry.result : undefined;
    let first: unknown;
    for (let i = network.plugins.length - 1; i >= 0; i--) {
      const plugin = network.plugins[i]!;
      try {
        await this.exec('DEL', entry, plugin.type, executables[i]!, pluginStdin(plugin, network, prev, entry.capabilityArgs), netns, signal);
      } catch (e) {
        if (!bestEffort) throw e;
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  private async undoFailedAdd(entry: CachedAttachment, executables: string[], cause: unknown): Promise<void> {
    const netns = existsSync(entry.netns) ? entry.netns : '';
    try {
      // Best effort: a plugin that cannot undo its part must not stop the others undoing theirs.
      await this.runDel(entry, executables, netns, AbortSignal.timeout(this.opts.cleanupTimeoutMs ?? 60_000), true);
      this.cache.remove(entry.containerId, entry.ifName);
    } catch (e) {
      // The cache entry stays, so the kubelet's later StopPodSandbox retries the DEL.
      this.log.warn({ podId: entry.containerId, err: errorMessage(e), cause: errorMessage(cause) }, 'CNI DEL after a failed ADD failed too');
    }
  }

  private exec(
    command: CniCommand,
    entry: CachedAttachment,
    plugin: string,
    executable: string,
    stdin: Record<string, unknown>,
    netns: string,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    this.log.debug({ podId: entry.containerId, plugin, command }, 'running CNI plugin');
    return execPlugin({
      command,
      plugin,
      executable,
      containerId: entry.containerId,
      netns,
      ifName: entry.ifName,
      cniArgs: entry.cniArgs,
      binDirs: this.opts.binDirs,
      stdin,
      networkName: entry.network.name,
      signal,
    });
  }
}
