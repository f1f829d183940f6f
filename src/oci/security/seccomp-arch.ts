// The host's architecture in the three vocabularies seccomp profiles use: Node's (process.arch),
// libseccomp's SCMP_ARCH_* (the filter's architectures), and Go's (the `includes.arches` of
// Docker-format profiles, which name the machine the profile is applied on).

/** Native architecture first, then the compat ones its kernel also runs (32-bit, x32). */
const SECCOMP_ARCHES: Readonly<Record<string, readonly string[]>> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ia32: ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  // Node reports little-endian ppc64 (the only one Linux distributions ship) as "ppc64".
  ppc64: ['SCMP_ARCH_PPC64LE'],
  riscv64: ['SCMP_ARCH_RISCV64'],
  mips64el: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'],
};

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
};

/** The filter's architectures on this host; empty (the runtime's native one only) when unknown. */
export function seccompArchitectures(nodeArch: string): string[] {
  return [...(SECCOMP_ARCHES[nodeArch] ?? [])];
}

export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}
