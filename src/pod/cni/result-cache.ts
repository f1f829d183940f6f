// The attachment kept on disk per pod and interface: the network config and arguments used at
// ADD, and the result once ADD finished. DEL and CHECK read it, so they work after a daemon
// restart and with the conflist changed or gone. An entry without a result means an ADD was
// interrupted; DEL then still knows which config to undo.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../store/atomic-file.js';
import { errnoCode, errorMessage, invalidArgument } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { CniPluginConf } from './conf-dir.js';
import type { CapabilityArgs } from './plugin-stdin.js';

export interface CachedNetwork {
  name: string;
  cniVersion: string;
  plugins: CniPluginConf[];
  /** The conflist it came from, for messages. */
  file: string;
  /** The list's own opt-out of CHECK. */
  disableCheck?: boolean;
}

export interface CachedAttachment {
  version: 1;
  containerId: string;
  ifName: string;
  netns: string;
  network: CachedNetwork;
  cniArgs: string;
  capabilityArgs: CapabilityArgs;
  /** The last plugin's result; absent until ADD succeeded. */
  result?: Record<string, unknown>;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class ResultCache {
  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  private file(containerId: string, ifName: string): string {
    if (!SAFE.test(containerId)) throw invalidArgument(`pod id "${containerId}" is not usable as a CNI container id`);
    if (!SAFE.test(ifName)) throw invalidArgument(`interface name "${ifName}" is not valid`);
    return join(this.dir, `${containerId}-${ifName}.json`);
  }

  /** The entry, or undefined when there is none or it cannot be read (logged). */
  read(containerId: string, ifName: string): CachedAttachment | undefined {
    const file = this.file(containerId, ifName);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') this.log.warn({ file, err: errorMessage(e) }, 'ignoring unreadable CNI result cache entry');
      return undefined;
    }
    if (!isAttachment(doc)) {
      this.log.warn({ file }, 'ignoring malformed CNI result cache entry');
      return undefined;
    }
    return doc;
  }

  write(entry: CachedAttachment): void {
    writeJsonAtomic(this.file(entry.containerId, entry.ifName), entry);
  }

  remove(containerId: string, ifName: string): void {
    rmSync(this.file(containerId, ifName), { force: true });
  }
}

function isAttachment(d: unknown): d is CachedAttachment {
  if (typeof d !== 'object' || d === null) return false;
  const o = d as Record<string, unknown>;
  const n = o.network as Record<string, unknown> | undefined;
  return (
    o.version === 1 &&
    typeof o.containerId === 'string' &&
    typeof o.ifName === 'string' &&
    typeof o.netns === 'string' &&
    typeof o.cniArgs === 'string' &&
    typeof o.capabilityArgs === 'object' &&
    o.capabilityArgs !== null &&
    typeof n === 'object' &&
    n !== null &&
    typeof n.name === 'string' &&
    typeof n.cniVersion === 'string' &&
    Array.isArray(n.plugins) &&
    (o.result === undefined || (typeof o.result === 'object' && o.result !== null))
  );
}
