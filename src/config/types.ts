// The effective, validated configuration handed to every part by the composition root.

export type CgroupDriver = 'cgroupfs' | 'systemd';

export interface RuntimeHandlerConfig {
  name: string;
  runtimePath: string;
  runtimeType: 'oci';
  runtimeRoot: string;
}

export interface CritterConfig {
  /** Where the config came from: a file path, or "embedded defaults". */
  source: string;
  root: string;
  state: string;
  socket: string;
  image: {
    registryConfigDir: string;
    insecureRegistries: string[];
    maxConcurrentDownloads: number;
    sandboxImage: string;
    /** Milliseconds; 0 disables. */
    pullProgressTimeoutMs: number;
  };
  runtime: {
    defaultHandler: string;
    handlers: Record<string, RuntimeHandlerConfig>;
  };
  network: {
    cniConfDir: string;
    cniBinDirs: string[];
  };
  monitor: {
    conmonPath: string;
  };
  cgroup: {
    /** As configured; '' means detect. */
    configuredDriver: '' | CgroupDriver;
    driver: CgroupDriver;
  };
  security: {
    /** As configured, without critterd's own --root and --state (always forbidden on top). */
    forbiddenHostPaths: string[];
  };
  streaming: {
    address: string;
  };
}
