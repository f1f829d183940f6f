// The runtime defaults of an image (its config document's `config` section) as the spec
// builder takes them. The document is untrusted JSON: fields of the wrong type are ignored.
import type { ImageConfig } from '../oci/spec/index.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);
const string = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function runtimeDefaults(doc: Record<string, unknown>): ImageConfig {
  const c = doc.config;
  if (!isRecord(c)) return {};
  const out: ImageConfig = {};
  const user = string(c.User);
  if (user !== undefined) out.User = user;
  const env = strings(c.Env);
  if (env) out.Env = env;
  const entrypoint = strings(c.Entrypoint);
  if (entrypoint) out.Entrypoint = entrypoint;
  const cmd = strings(c.Cmd);
  if (cmd) out.Cmd = cmd;
  const wd = string(c.WorkingDir);
  if (wd !== undefined) out.WorkingDir = wd;
  const stop = string(c.StopSignal);
  if (stop !== undefined) out.StopSignal = stop;
  return out;
}
