// Reads critter.toml (or the embedded defaults), validates it and resolves derived values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { errnoCode, errorMessage, invalidArgument } from '../util/errors.js';
import { detectCgroupDriver } from './cgroup-driver.js';
import { DEFAULTS, DEFAULT_CONFIG_FILE, DEFAULT_ROOT, DEFAULT_SOCKET, DEFAULT_STATE } from './defaults.js';
import { parseDuration } from './duration.js';
import type { CgroupDriver, CritterConfig, RuntimeHandlerConfig } from './types.js';
import { isTable, validateDocument, type TomlTable } from './validate.js';

export interface LoadOptions {
  /** --config as given; undefined means the default file, which may be absent. */
  configFile?: string;
  root?: string;
  state?: string;
  socket?: string;
  /** For tests: what detection would see. */
  detectDriver?: () => CgroupDriver;
}

function readDocument(opts: LoadOptions): { source: string; doc: TomlTable } {
  const named = opts.configFile !== undefined;
  const file = opts.configFile ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' && !named) return { source: 'embedded defaults', doc: {} };
    throw invalidArgument(`config ${file}: cannot read: ${errorMessage(e)}`, e);
  }
  try {
    return { source: file, doc: parseToml(text) as TomlTable };
  } catch (e) {
    const where = e instanceof TomlError ? ` at line ${e.line}, column ${e.column}` : '';
    throw invalidArgument(`config ${file}: not valid TOML${where}: ${errorMessage(e).split('\n')[0]}`, e);
  }
}

function section(doc: TomlTable, name: string): TomlTable {
  const s = doc[name];
  return isTable(s) ? s : {};
}

export function loadConfig(opts: LoadOptions = {}): CritterConfig {
  const { source, doc } = readDocument(opts);
  validateDocument(source, doc);

  const image = { ...DEFAULTS.image, ...section(doc, 'image') } as typeof DEFAULTS.image;
  const runtimeDoc = section(doc, 'runtime');
  const network = { ...DEFAULTS.network, ...section(doc, 'network') } as typeof DEFAULTS.network;
  const monitor = { ...DEFAULTS.monitor, ...section(doc, 'monitor') } as typeof DEFAULTS.monitor;
  const cgroup = { ...DEFAULTS.cgroup, ...section(doc, 'cgroup') } as typeof DEFAULTS.cgroup;
  const security = { ...DEFAULTS.security, ...section(doc, 'security') } as typeof DEFAULTS.security;
  const streaming = { ...DEFAULTS.streaming, ...section(doc, 'streaming') } as typeof DEFAULTS.streaming;

  const root = opts.root ?? DEFAULT_ROOT;
  const state = opts.state ?? DEFAULT_STATE;

  // Handlers from the file are added to (or replace by name) the built-in runc and crun.
  const rawHandlers = { ...DEFAULTS.runtime.handlers, ...(isTable(runtimeDoc.handlers) ? runtimeDoc.handlers : {}) } as Record<
    string,
    { runtime_path: string; runtime_type?: string; runtime_root?: string }
  >;
  const handlers: Record<string, RuntimeHandlerConfig> = {};
  for (const [name, h] of Object.entries(rawHandlers)) {
    handlers[name] = {
      name,
      runtimePath: h.runtime_path,
      runtimeType: 'oci',
      runtimeRoot: h.runtime_root ?? join(state, 'runtime', name),
    };
  }
  const defaultHandler = (runtimeDoc.default_handler as string | undefined) ?? DEFAULTS.runtime.default_handler;
  if (handlers[defaultHandler] === undefined) {
    throw invalidArgument(
      `config ${source}: "runtime.default_handler" names "${defaultHandler}", which is not a runtime handler (have: ${Object.keys(handlers).join(', ')})`,
    );
  }

  const configuredDriver = cgroup.driver as '' | CgroupDriver;
  const driver = configuredDriver === '' ? (opts.detectDriver ?? detectCgroupDriver)() : configuredDriver;

  return {
    source,
    root,
    state,
    socket: opts.socket ?? DEFAULT_SOCKET,
    image: {
      registryConfigDir: image.registry_config_dir,
      insecureRegistries: image.insecure_registries,
      maxConcurrentDownloads: image.max_concurrent_downloads,
      sandboxImage: image.sandbox_image,
      pullProgressTimeoutMs: parseDuration(image.pull_progress_timeout) ?? 0,
    },
    runtime: { defaultHandler, handlers },
    network: { cniConfDir: network.cni_conf_dir, cniBinDirs: network.cni_bin_dirs },
    monitor: { conmonPath: monitor.conmon_path },
    cgroup: { configuredDriver, driver },
    security: { forbiddenHostPaths: [...security.forbidden_host_paths] },
    streaming: { address: streaming.address },
  };
}

