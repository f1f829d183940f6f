// The container's argv, environment and working directory from the CRI request over the image
// config, with the kubelet's Docker-derived semantics.
import { invalidArgument } from '../../util/errors.js';
import type { KeyValue } from '../../gen/runtime/v1/api_pb.js';
import { DEFAULT_PATH } from './defaults.js';
import type { ImageConfig } from './input.js';

/**
 * command replaces the image Entrypoint and drops its Cmd; args alone replace Cmd. An image
 * Entrypoint of [""] is Docker's way of saying "no entrypoint".
 */
export function processArgs(command: string[], args: string[], image: ImageConfig): string[] {
  let cmd = [...command];
  let rest = [...args];
  if (cmd.length === 0) {
    if (rest.length === 0) rest = [...(image.Cmd ?? [])];
    const ep = image.Entrypoint ?? [];
    if (!(ep.length === 1 && ep[0] === '')) cmd = [...ep];
  }
  const argv = [...cmd, ...rest];
  if (argv.length === 0) {
    throw invalidArgument('no command specified: the request has neither command nor args, the image neither Entrypoint nor Cmd');
  }
  return argv;
}

const keyOf = (entry: string): string => {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
};

/** Sets each KEY=VALUE of `overrides` in `base`: in place when the key is there, else appended. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  const index = new Map(out.map((e, i) => [keyOf(e), i] as const));
  for (const e of overrides) {
    const k = keyOf(e);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, out.length);
      out.push(e);
    } else out[at] = e;
  }
  return out;
}

/**
 * PATH (a default, which the image normally replaces), HOSTNAME, the image env, then the
 * request's envs: later layers win by key, the first position of a key is kept.
 */
export function processEnv(image: ImageConfig, envs: KeyValue[], hostname: string): string[] {
  for (const kv of envs) {
    if (kv.key === '' || kv.key.includes('=')) throw invalidArgument(`invalid environment variable name ${JSON.stringify(kv.key)}`);
  }
  let env = [DEFAULT_PATH, `HOSTNAME=${hostname}`];
  env = mergeEnv(env, (image.Env ?? []).filter((e) => keyOf(e) !== ''));
  env = mergeEnv(env, envs.map((kv) => `${kv.key}=${kv.value}`));
  return env;
}

export function hasEnv(env: string[], key: string): boolean {
  return env.some((e) => keyOf(e) === key);
}

/** CRI working_dir, else the image's, else "/". */
export function processCwd(requested: string, image: ImageConfig): string {
  const cwd = requested || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw invalidArgument(`working directory ${JSON.stringify(cwd)} is not absolute`);
  return cwd;
}
