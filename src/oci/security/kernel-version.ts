// Comparing kernel releases ("6.1.0-18-amd64") against "major.minor" thresholds.
import { kernelVersion } from '../features.js';

export function kernelAtLeast(release: string, since: readonly [number, number]): boolean {
  const [major, minor] = kernelVersion(release);
  return major > since[0] || (major === since[0] && minor >= since[1]);
}

/** "4.8" -> [4, 8]; undefined when it is not a version. */
export function parseMinKernel(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
