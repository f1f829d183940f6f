// What the runtime tells the kubelet about itself: its conditions (RuntimeReady, NetworkReady),
// its handlers and their features, and its effective configuration. The kubelet refuses to
// schedule pods while NetworkReady is false, so the reason must say what to fix.
import type { CritterConfig } from '../config/types.js';
import { findNetwork } from '../pod/cni/conf-dir.js';

export interface Condition {
  type: 'RuntimeReady' | 'NetworkReady';
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: Condition[];
  handlers: { name: string; recursiveReadOnlyMounts: boolean; userNamespaces: boolean }[];
  /** Notes for operators (e.g. settings critter had to clamp on this node). */
  notes: Record<string, string>;
}

export class RuntimeStatusService {
  private readonly notes = new Map<string, string>();

  constructor(private readonly config: CritterConfig) {}

  /** Records a standing note shown in Status' info (e.g. a clamped setting). */
  note(key: string, message: string): void {
    this.notes.set(key, message);
  }

  status(): RuntimeStatus {
    const net = findNetwork(this.config.network.cniConfDir);
    const network: Condition = net.ok
      ? { type: 'NetworkReady', status: true, reason: '', message: '' }
      : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${net.reason}` };
    return {
      conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, network],
      // Features are reported only once the handler drivers can prove them (security issue);
      // until then claim nothing, never more than the runtime supports.
      handlers: Object.keys(this.config.runtime.handlers)
        .sort()
        .map((name) => ({ name, recursiveReadOnlyMounts: false, userNamespaces: false })),
      notes: Object.fromEntries(this.notes),
    };
  }

  effectiveConfig(): CritterConfig {
    return this.config;
  }
}
