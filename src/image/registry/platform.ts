// Platform matching for image indexes, following containerd's platforms package: normalise
// os/arch/variant aliases, then prefer an exact match over a compatible one (arm64 "v8" is
// the same as no variant; armv7 can run v6 and v5 images; amd64 "v1" is plain amd64).
import { notFound } from '../../util/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return variant === '' ? { os, architecture: arch } : { os, architecture: arch, variant };
}

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const architecture = map[process.arch] ?? process.arch;
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') {
    const v = (process.config.variables as unknown as Record<string, unknown>)['arm_version'];
    return { os: 'linux', architecture, variant: typeof v === 'string' || typeof v === 'number' ? `v${v}` : 'v7' };
  }
  return { os: 'linux', architecture };
}

/** Variants acceptable for `want`, best first. */
function compatibleVariants(want: Platform): string[] {
  const v = want.variant ?? '';
  if (want.architecture === 'arm') {
    const n = Number(v.slice(1));
    const out: string[] = [];
    for (let i = n; i >= 5; i--) out.push(`v${i}`);
    return out.length > 0 ? out : [v];
  }
  return [v];
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Picks the best entry for `want` from items carrying a platform; returns its index.
 * Throws NotFound listing what the index offers when nothing fits.
 */
export function selectPlatformIndex(
  entries: readonly { platform?: Platform | undefined }[],
  want: Platform,
  what = 'image index',
): number {
  const w = normalizePlatform(want);
  const variants = compatibleVariants(w);
  let best = -1;
  let bestRank = Number.POSITIVE_INFINITY;
  entries.forEach((e, i) => {
    if (e.platform === undefined) return;
    const p = normalizePlatform(e.platform);
    if (p.os !== w.os || p.architecture !== w.architecture) return;
    const rank = variants.indexOf(p.variant ?? '');
    if (rank !== -1 && rank < bestRank) {
      best = i;
      bestRank = rank;
    }
  });
  if (best === -1) {
    const offered = entries.filter((e) => e.platform !== undefined).map((e) => platformString(e.platform as Platform));
    throw notFound(
      `no manifest for platform ${platformString(w)} in ${what}; available: ${offered.length > 0 ? offered.join(', ') : 'none'}`,
    );
  }
  return best;
}
