// The shape of critter.toml: every section, key, type, default and meaning in one table, so that
// loading, validation, the docs test and Status' verbose dump all read the same source.

export type KeyType =
  | { kind: 'string'; nonEmpty?: boolean; absolutePath?: boolean; oneOf?: readonly string[] }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'duration' }
  | { kind: 'stringList'; absolutePaths?: boolean };

export interface KeySpec {
  type: KeyType;
  doc: string;
}

/** Sections with fixed keys. `[runtime.handlers.NAME]` tables are described separately below. */
export const SECTIONS = {
  image: {
    registry_config_dir: {
      type: { kind: 'string', absolutePath: true },
      doc: "Directory of containerd-style hosts.toml files, one folder per registry host (mirrors, plain-http endpoints, CAs).",
    },
    insecure_registries: {
      type: { kind: 'stringList' },
      doc: 'Registry hosts (host or host:port) that may be reached over plain http after https fails. Prefer hosts.toml.',
    },
    max_concurrent_downloads: {
      type: { kind: 'int', min: 1, max: 64 },
      doc: 'Layer downloads in flight across the whole node.',
    },
    sandbox_image: {
      type: { kind: 'string', nonEmpty: true },
      doc: 'Image of the pause (infra) container; pinned, never garbage-collected.',
    },
    pull_progress_timeout: {
      type: { kind: 'duration' },
      doc: 'A pull that receives no bytes for this long fails instead of hanging. 0 disables the check.',
    },
  },
  runtime: {
    default_handler: {
      type: { kind: 'string', nonEmpty: true },
      doc: 'Runtime handler used when a pod names none; must be a key of [runtime.handlers].',
    },
  },
  network: {
    cni_conf_dir: {
      type: { kind: 'string', absolutePath: true },
      doc: 'Directory searched for CNI network configuration; the first .conflist/.conf (by name) is used.',
    },
    cni_bin_dirs: {
      type: { kind: 'stringList', absolutePaths: true },
      doc: 'Directories searched, in order, for CNI plugin binaries.',
    },
  },
  monitor: {
    conmon_path: {
      type: { kind: 'string', absolutePath: true },
      doc: 'Path of the conmon binary that monitors each container.',
    },
  },
  cgroup: {
    driver: {
      type: { kind: 'string', oneOf: ['', 'cgroupfs', 'systemd'] },
      doc: 'Cgroup driver: "cgroupfs" or "systemd"; empty detects (systemd when it is PID 1, else cgroupfs).',
    },
  },
  security: {
    forbidden_host_paths: {
      type: { kind: 'stringList', absolutePaths: true },
      doc: "Host paths no CRI mount or device may use: a source that, symlinks resolved, is one of them or lies under one is InvalidArgument. critterd's --root and --state are always added.",
    },
  },
  streaming: {
    address: {
      type: { kind: 'string', nonEmpty: true },
      doc: 'host:port the exec/attach/port-forward server listens on; port 0 picks a free port.',
    },
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

/** Keys of one `[runtime.handlers.NAME]` table. */
export const HANDLER_KEYS = {
  runtime_path: {
    type: { kind: 'string', absolutePath: true },
    doc: 'Path of the OCI runtime binary.',
  },
  runtime_type: {
    type: { kind: 'string', oneOf: ['oci'] },
    doc: 'How critter drives the runtime: "oci" (the runc command-line interface, as runc and crun implement it).',
  },
  runtime_root: {
    type: { kind: 'string', absolutePath: true },
    doc: "The runtime's --root state directory; defaults to <state>/runtime/NAME.",
  },
} as const satisfies Record<string, KeySpec>;
