// buildSpec: the OCI runtime config of a CRI container. Pure but for what it must learn from
// the filesystem: the image's passwd/group (inside the rootfs), bind-mount sources and device
// nodes (on the host), and the host's mount table when propagation asks for it.
import { invalidArgument } from '../../util/errors.js';
import { securityHost } from '../security/lsm-host.js';
import { applyIdmaps, checkUserMapped, idmappedMounts, userNamespacePlan } from '../security/userns.js';
import { RootfsUserDb } from '../user/resolve.js';
import { capabilitySets } from './capabilities.js';
import { cgroupsPathFor } from './cgroups-path.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
import { hostDevices, requestedDevices } from './devices.js';
import type { BuildResult, SpecInput } from './input.js';
import { buildMounts } from './mounts.js';
import { buildNamespaces } from './namespaces.js';
import { hasEnv, processArgs, processCwd, processEnv } from './process-args.js';
import { buildResources, oomScoreAdj } from './resources.js';
import { applyApparmor, applySeccomp, applySelinux } from './security-hooks.js';
import type { OciDevice, OciSpec } from './types.js';
import { resolveContainerUser } from './user.js';

export const OCI_VERSION = '1.0.2';

/** Annotations containerd sets, which runtimes' hooks and shims (kata, NRI plugins) look for. */
function annotations(input: SpecInput): Record<string, string> {
  const a: Record<string, string> = {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.sandbox-id': input.sandbox.id,
  };
  const name = input.config.metadata?.name;
  if (name) a['io.kubernetes.cri.container-name'] = name;
  if (input.image.name) a['io.kubernetes.cri.image-name'] = input.image.name;
  if (input.sandbox.name) a['io.kubernetes.cri.sandbox-name'] = input.sandbox.name;
  if (input.sandbox.namespace) a['io.kubernetes.cri.sandbox-namespace'] = input.sandbox.namespace;
  if (input.sandbox.uid) a['io.kubernetes.cri.sandbox-uid'] = input.sandbox.uid;
  return a;
}

function checkInput(input: SpecInput): void {
  if (!input.rootfs.path.startsWith('/')) throw invalidArgument(`rootfs path ${JSON.stringify(input.rootfs.path)} is not absolute`);
  const pidns = input.sandbox.pidNamespace;
  const pid = pidns.mode === 'pod' ? pidns.infraPid : pidns.mode === 'target' ? pidns.targetPid : 1;
  if (!Number.isInteger(pid) || pid <= 0) throw invalidArgument(`pid namespace ${pidns.mode}: bad pid ${pid}`);
}

export function buildSpec(input: SpecInput): BuildResult {
  checkInput(input);
  const warnings: string[] = [];
  const cfg = input.config;
  const sc = cfg.linux?.securityContext;
  const privileged = sc?.privileged ?? false;
  if (privileged && !input.sandbox.privileged) {
    throw invalidArgument('a privileged container needs a privileged pod sandbox');
  }
  const readonlyRootfs = input.rootfs.readonly || (sc?.readonlyRootfs ?? false);

  const userns = userNamespacePlan(sc, input.sandbox.userNamespacePath, {
    handler: input.runtimeHandler,
    userNamespaces: input.runtimeFeatures.userNamespaces ?? false,
  });
  const user = resolveContainerUser(new RootfsUserDb(input.rootfs.path), sc, input.image.config.User);
  if (userns) checkUserMapped(userns, user);
  const env = processEnv(input.image.config, cfg.envs, input.sandbox.hostname);
  // runc and crun would look HOME up themselves; setting it makes both agree, as CRI-O does.
  if (!hasEnv(env, 'HOME')) env.push(`HOME=${user.home ?? '/'}`);

  // Everything that can refuse the request without touching the host goes before the mounts,
  // which may create missing host directories.
  const args = processArgs(cfg.command, cfg.args, input.image.config);
  const cwd = processCwd(cfg.workingDir, input.image.config);
  const capabilities = capabilitySets(sc?.capabilities, privileged, input.host.capLastCap, warnings, input.host.boundingCapabilities);
  const oom = oomScoreAdj(cfg.linux?.resources, input.ownOomScoreAdj);
  const resources = buildResources(cfg.linux?.resources, input.host, warnings);
  const cgroupsPath = cgroupsPathFor(input.cgroupDriver, input.sandbox.cgroupParent, input.containerId);

  const idmaps = idmappedMounts(cfg.mounts, userns, input.runtimeFeatures.idmappedMounts ?? false, input.runtimeHandler);

  const { mounts, rootfsPropagation } = buildMounts(input, { readonlyRootfs, privileged });
  applyIdmaps(mounts, idmaps);

  const requested = requestedDevices(cfg.devices, input.forbiddenHostPaths);
  let devices: OciDevice[] = requested.devices;
  const deviceRules = [{ allow: false, access: 'rwm' }, ...requested.rules];
  if (privileged) {
    const host = hostDevices();
    const paths = new Set(devices.map((d) => d.path));
    devices = [...host.devices.filter((d) => !paths.has(d.path)), ...devices];
    deviceRules.push(...host.rules);
  }

  const masked = sc && sc.maskedPaths.length > 0 ? sc.maskedPaths : DEFAULT_MASKED_PATHS;
  const readonlyPaths = sc && sc.readonlyPaths.length > 0 ? sc.readonlyPaths : DEFAULT_READONLY_PATHS;

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: cfg.tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env,
      cwd,
      capabilities,
      noNewPrivileges: sc?.noNewPrivs ?? false,
      oomScoreAdj: oom,
    },
    root: { path: input.rootfs.path, readonly: readonlyRootfs },
    mounts,
    linux: {
      namespaces: buildNamespaces(input.sandbox, input.host, privileged, userns?.namespace),
      resources: { devices: deviceRules, ...resources },
      cgroupsPath,
      devices,
      // Privileged containers see /proc and /sys as they are.
      maskedPaths: privileged ? [] : [...masked],
      readonlyPaths: privileged ? [] : [...readonlyPaths],
    },
    annotations: annotations(input),
  };
  // Setting a hostname needs a UTS namespace of the container's; with the host's there is none.
  if (input.sandbox.utsPath) spec.hostname = input.sandbox.hostname;
  if (Object.keys(input.sandbox.sysctls).length > 0) spec.linux.sysctl = { ...input.sandbox.sysctls };
  if (rootfsPropagation) spec.linux.rootfsPropagation = rootfsPropagation;
  if (userns) {
    spec.linux.uidMappings = userns.uidMappings;
    spec.linux.gidMappings = userns.gidMappings;
  }

  const security = input.security ?? securityHost();
  const hookCtx = { securityContext: sc, privileged, spec, host: security, sandboxId: input.sandbox.id, warnings };
  const seccomp = applySeccomp(hookCtx);
  if (seccomp) spec.linux.seccomp = seccomp;
  const apparmor = applyApparmor(hookCtx);
  if (apparmor) spec.process.apparmorProfile = apparmor;
  const selinux = applySelinux(hookCtx);
  if (selinux.processLabel) spec.process.selinuxLabel = selinux.processLabel;
  if (selinux.mountLabel) spec.linux.mountLabel = selinux.mountLabel;

  return { spec, warnings, resolvedUser: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } };
}
