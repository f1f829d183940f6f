// critter's RuntimeDefault seccomp profile, built per container from seccomp-default-data.ts:
// the groups a container qualifies for (by capability, architecture, kernel) become one allow
// rule, followed by the argument-checked rules. Everything else fails with EPERM.
import type { OciSeccomp, OciSyscallRule } from '../spec/types.js';
import { kernelAtLeast } from './kernel-version.js';
import { seccompArchitectures } from './seccomp-arch.js';
import {
  ALWAYS_ALLOWED,
  ARCH_ALLOWED,
  CAPABILITY_GATED,
  CLONE_FLAGS_ARG,
  CLONE_NAMESPACE_FLAGS,
  ENOSYS,
  EPERM,
  KERNEL_GATED,
  PERSONALITY_ALLOWED,
  SOCKET_FAMILIES_REFUSED,
} from './seccomp-default-data.js';

export interface SeccompTarget {
  /** The container's bounding set: what it could ever gain, hence what the filter must allow. */
  capabilities: readonly string[];
  /** process.arch of the host. */
  arch: string;
  kernelRelease: string;
}

export function runtimeDefaultSeccomp(t: SeccompTarget): OciSeccomp {
  const caps = new Set(t.capabilities);
  const allowed = new Set<string>(ALWAYS_ALLOWED);
  for (const g of KERNEL_GATED) if (kernelAtLeast(t.kernelRelease, g.since)) g.names.forEach((n) => allowed.add(n));
  for (const [cap, names] of Object.entries(CAPABILITY_GATED)) if (caps.has(cap)) names.forEach((n) => allowed.add(n));
  for (const n of ARCH_ALLOWED[t.arch] ?? []) allowed.add(n);

  const rules: OciSyscallRule[] = [{ names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' }];
  // One rule per value: the arguments of a rule are ANDed, separate rules are ORed.
  for (const persona of PERSONALITY_ALLOWED) {
    rules.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: persona, op: 'SCMP_CMP_EQ' }] });
  }
  rules.push({
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: SOCKET_FAMILIES_REFUSED.map((family) => ({ index: 0, value: family, op: 'SCMP_CMP_NE' })),
  });
  if (!caps.has('CAP_SYS_ADMIN')) {
    // MASKED_EQ: (arg & value) == valueTwo, i.e. none of the namespace flags is set.
    const index = CLONE_FLAGS_ARG[t.arch] ?? 0;
    rules.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    rules.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  const profile: OciSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, syscalls: rules };
  const arches = seccompArchitectures(t.arch);
  if (arches.length > 0) profile.architectures = arches;
  return profile;
}
