// What the runtime tells the kubelet about itself: its conditions (RuntimeReady, NetworkReady),
// its handlers and their features, and its effective configuration. The kubelet refuses to
// schedule pods while NetworkReady is false, so the reason must say what to fix.
import type { CritterConfig } from '../config/types.js';
import type { IdmapSupport } from '../container/idmap.js';
import type { RuntimeFeatures } from '../oci/features.js';
import { reportsUserNamespaces } from '../oci/security/userns.js';
import { findNetwork } from '../pod/cni/conf-dir.js';

export interface Condition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface HandlerFeatures {
  name: string;
  recursiveReadOnlyMounts: boolean;
  userNamespaces: boolean;
}

export interface RuntimeStatus {
  conditions: Condition[];
  handlers: HandlerFeatures[];
  /** Notes for operators (e.g. settings critter had to clamp on this node). */
  notes: Record<string, string>;
}

/** What Status asks of a handler (handlerCapabilities builds it from the runtime's driver). */
export interface HandlerCapabilities {
  supportsRecursiveReadOnly(): Promise<boolean>;
  supportsUserNamespaces(): Promise<boolean>;
}

/**
 * A handler's capabilities as critter serves them. User-namespaced pods need the runtime to
 * create user namespaces (its `features` report) and idmapped container filesystems, which
 * critter makes itself (src/container/idmap.ts), so that is its probe's answer, not the
 * runtime's idmap extension: exactly what RunPodSandbox checks.
 */
export function handlerCapabilities(
  driver: { supportsRecursiveReadOnly(): Promise<boolean>; features(): Promise<RuntimeFeatures | null> },
  idmap: () => Promise<IdmapSupport>,
): HandlerCapabilities {
  return {
    supportsRecursiveReadOnly: () => driver.supportsRecursiveReadOnly(),
    supportsUserNamespaces: async () => reportsUserNamespaces(await driver.features()) && (await idmap()).ok,
  };
}

export class RuntimeStatusService {
  private readonly notes = new Map<string, string>();

  /** `handlers`: a driver per configured handler; a handler without one claims no features. */
  constructor(
    private readonly config: CritterConfig,
    private readonly handlers: ReadonlyMap<string, HandlerCapabilities> = new Map(),
  ) {}

  /** Records a standing note shown in Status' info (e.g. a clamped setting). */
  note(key: string, message: string): void {
    this.notes.set(key, message);
  }

  async status(): Promise<RuntimeStatus> {
    const net = findNetwork(this.config.network.cniConfDir);
    const network: Condition = net.ok
      ? { type: 'NetworkReady', status: true, reason: '', message: '' }
      : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${net.reason}` };
    const names = Object.keys(this.config.runtime.handlers).sort();
    return {
      conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, network],
      handlers: await Promise.all(names.map((name) => this.features(name))),
      notes: Object.fromEntries(this.notes),
    };
  }

  effectiveConfig(): CritterConfig {
    return this.config;
  }

  /**
   * What the handler's runtime proves it supports (its `features` report and the kernel). A
   * runtime that cannot say, or fails to, claims nothing: the kubelet must never be promised more.
   */
  private async features(name: string): Promise<HandlerFeatures> {
    const h = this.handlers.get(name);
    const ask = async (q: (() => Promise<boolean>) | undefined): Promise<boolean> => {
      try {
        return q ? await q() : false;
      } catch {
        return false;
      }
    };
    return {
      name,
      recursiveReadOnlyMounts: await ask(h && (() => h.supportsRecursiveReadOnly())),
      userNamespaces: await ask(h && (() => h.supportsUserNamespaces())),
    };
  }
}
