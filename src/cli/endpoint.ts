// Which CRI socket the client talks to, by crictl's rules: the flag, then
// $CONTAINER_RUNTIME_ENDPOINT, then critter's own socket.
import { DEFAULT_SOCKET } from '../config/defaults.js';

export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.CONTAINER_RUNTIME_ENDPOINT ?? `unix://${DEFAULT_SOCKET}`;
  if (raw.startsWith('unix://')) return raw.slice('unix://'.length);
  if (raw.startsWith('unix:')) return raw.slice('unix:'.length);
  if (raw.includes('://')) throw new Error(`unsupported endpoint "${raw}": only unix sockets are supported`);
  return raw;
}
