// The OCI runtime spec builder: buildSpec and what its callers need around it.
export { buildSpec, OCI_VERSION } from './build.js';
export type { BuildResult, HostInfo, ImageConfig, PidNamespace, SandboxContext, SpecInput } from './input.js';
export type * from './types.js';
export { probeHost, readOwnOomScoreAdj } from './host.js';
export { cgroupsPathFor, SYSTEMD_SCOPE_PREFIX } from './cgroups-path.js';
export { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES } from './capabilities.js';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
export { applyApparmor, applySeccomp, applySelinux, type SecurityHookContext } from './security-hooks.js';
