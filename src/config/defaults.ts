// Embedded defaults: what critterd runs with when /etc/critter/critter.toml does not exist.

export const DEFAULT_CONFIG_FILE = '/etc/critter/critter.toml';
export const DEFAULT_SOCKET = '/run/critter/critter.sock';
export const DEFAULT_ROOT = '/var/lib/critter';
export const DEFAULT_STATE = '/run/critter';

/** Raw TOML-shaped defaults; the loader overlays the file on these. */
export const DEFAULTS = {
  image: {
    registry_config_dir: '/etc/critter/certs.d',
    insecure_registries: [] as string[],
    max_concurrent_downloads: 3,
    sandbox_image: 'registry.k8s.io/pause:3.10',
    pull_progress_timeout: '1m',
  },
  runtime: {
    default_handler: 'runc',
    handlers: {
      runc: { runtime_path: '/usr/sbin/runc', runtime_type: 'oci' },
      crun: { runtime_path: '/usr/bin/crun', runtime_type: 'oci' },
    } as Record<string, { runtime_path: string; runtime_type: string; runtime_root?: string }>,
  },
  network: {
    cni_conf_dir: '/etc/cni/net.d',
    cni_bin_dirs: ['/usr/lib/cni', '/opt/cni/bin'],
  },
  monitor: {
    conmon_path: '/usr/bin/conmon',
  },
  cgroup: {
    driver: '',
  },
  security: {
    forbidden_host_paths: [] as string[],
  },
  streaming: {
    address: '127.0.0.1:0',
  },
};
