// Node-wide network settings the kubelet pushes through UpdateRuntimeConfig. The pod CIDR is
// kept on disk so that it is known before the kubelet repeats it after a daemon restart.
import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { invalidArgument } from '../util/errors.js';

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

export class NetworkConfigStore {
  private podCidrs: string[] = [];

  constructor(private readonly file: string) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { podCidrs?: unknown };
      if (Array.isArray(doc.podCidrs)) this.podCidrs = doc.podCidrs.filter((c): c is string => typeof c === 'string');
    } catch {
      /* nothing kept yet */
    }
  }

  get podCidr(): string[] {
    return [...this.podCidrs];
  }

  /** Accepts the kubelet's comma-separated form ("10.88.0.0/16,fd00::/64"); empty keeps the old value. */
  setPodCidr(value: string): void {
    const trimmed = value.trim();
    if (trimmed === '') return;
    const cidrs = trimmed.split(',').map((c) => c.trim());
    for (const c of cidrs) if (!CIDR.test(c)) throw invalidArgument(`pod CIDR "${c.length > 64 ? `${c.slice(0, 64)}...` : c}" is not an IPv4 or IPv6 CIDR`);
    this.podCidrs = cidrs;
    writeJsonAtomic(this.file, { podCidrs: cidrs });
  }
}
