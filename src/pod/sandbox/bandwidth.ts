// Pod traffic shaping from the pod annotations the kubelet passes through
// (kubernetes.io/ingress-bandwidth, kubernetes.io/egress-bandwidth), as resource quantities in
// bits per second ("10M", "1Gi"). The burst is left at the largest the bandwidth plugin takes,
// as containerd does, since Kubernetes has no way to ask for one.
import { invalidArgument } from '../../util/errors.js';
import type { BandwidthLimits } from '../cni/plugin-stdin.js';

export const INGRESS_ANNOTATION = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_ANNOTATION = 'kubernetes.io/egress-bandwidth';

const MIN_RATE = 1_000; // the kubelet's own bounds: 1k ... 1P
const MAX_RATE = 1e15;
const MAX_BURST = 2 ** 32 - 1;

const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500k", "1.5M", "2Gi") as a number, rounded up to a whole. */
export function parseQuantity(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kMGTPE]i?|Ki)?$/.exec(s.trim());
  const mult = m ? SUFFIX[m[2] ?? ''] : undefined;
  if (!m || mult === undefined) throw invalidArgument(`"${s}" is not a quantity (e.g. 10M, 1Gi)`);
  return Math.ceil(Number(m[1]) * mult);
}

function rate(annotations: Record<string, string>, key: string): number | undefined {
  const v = annotations[key];
  if (v === undefined) return undefined;
  let n: number;
  try {
    n = parseQuantity(v);
  } catch (e) {
    throw invalidArgument(`annotation ${key}: ${(e as Error).message}`);
  }
  if (n < MIN_RATE || n > MAX_RATE) throw invalidArgument(`annotation ${key}: ${v} is outside 1k..1P bits per second`);
  return n;
}

export function bandwidthFromAnnotations(annotations: Record<string, string>): BandwidthLimits | undefined {
  const ingress = rate(annotations, INGRESS_ANNOTATION);
  const egress = rate(annotations, EGRESS_ANNOTATION);
  if (ingress === undefined && egress === undefined) return undefined;
  const b: BandwidthLimits = {};
  if (ingress !== undefined) Object.assign(b, { ingressRate: ingress, ingressBurst: MAX_BURST });
  if (egress !== undefined) Object.assign(b, { egressRate: egress, egressBurst: MAX_BURST });
  return b;
}
