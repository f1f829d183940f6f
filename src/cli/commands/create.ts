// `critter create POD-ID container-config.json pod-config.json`: CreateContainer from crictl's
// JSON config files (the CRI messages in protobuf JSON; snake_case names as in crictl's examples
// are accepted too). Prints the new container's ID.
import { readFile } from 'node:fs/promises';
import { fromJson, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { status as Code } from '@grpc/grpc-js';
import {
  ContainerConfigSchema,
  PodSandboxConfigSchema,
  type AuthConfigSchema,
  type ContainerConfig,
  type PodSandboxConfig,
} from '../../gen/runtime/v1/api_pb.js';
import type { CliContext } from '../context.js';
import type { CommandRunner } from '../program.js';
import { CliError, resolvePodId } from '../resolve-id.js';

async function readConfig<D extends DescMessage>(schema: D, what: string, path: string): Promise<MessageShape<D>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(Code.INVALID_ARGUMENT, `cannot read the ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return fromJson(schema, JSON.parse(text) as Parameters<typeof fromJson>[1]);
  } catch (e) {
    throw new CliError(Code.INVALID_ARGUMENT, `the ${what} ${path} is not a valid ${schema.typeName} in JSON: ${(e as Error).message}`);
  }
}

export const readContainerConfig = (path: string): Promise<ContainerConfig> =>
  readConfig(ContainerConfigSchema, 'container config', path);

export const readPodSandboxConfig = (path: string): Promise<PodSandboxConfig> =>
  readConfig(PodSandboxConfigSchema, 'pod sandbox config', path);

type Auth = MessageInitShape<typeof AuthConfigSchema>;

/** --creds USER[:PASSWORD] or --auth BASE64, as crictl takes them. */
export function pullAuth(o: { creds?: string; auth?: string }): Auth | undefined {
  if (o.creds !== undefined && o.auth !== undefined) throw new CliError(Code.INVALID_ARGUMENT, 'use either --creds or --auth, not both');
  if (o.creds !== undefined) {
    const i = o.creds.indexOf(':');
    const username = i < 0 ? o.creds : o.creds.slice(0, i);
    if (username === '') throw new CliError(Code.INVALID_ARGUMENT, '--creds: the username is empty');
    return { username, password: i < 0 ? '' : o.creds.slice(i + 1) };
  }
  return o.auth !== undefined ? { auth: o.auth } : undefined;
}

interface CreateOptions {
  pull: boolean;
  withPull?: boolean;
  creds?: string;
  auth?: string;
}

/** Pulls when asked to, or when the image is not there (a create would fail on it anyway). */
async function ensureImage(ctx: CliContext, config: ContainerConfig, pod: PodSandboxConfig, o: CreateOptions): Promise<void> {
  const image = config.image?.image ?? '';
  if (image === '' || !o.pull) return;
  if (!o.withPull) {
    const st = await ctx.images.image.imageStatus({ image: { image } }, { deadline: ctx.deadline() });
    if (st.image) return;
  }
  process.stderr.write(`Pulling image ${image}\n`);
  const auth = pullAuth(o);
  // A pull takes as long as it takes (crictl's default pull timeout is none).
  await ctx.images.image.pullImage({ image: config.image, sandboxConfig: pod, ...(auth ? { auth } : {}) });
}

export function registerCreate(program: Command, run: CommandRunner): void {
  program
    .command('create')
    .description('create a container in a pod sandbox from JSON configs; prints its ID')
    .argument('<pod-id>', 'the pod sandbox (ID or unique prefix)')
    .argument('<container-config.json>', 'a ContainerConfig in JSON')
    .argument('<pod-config.json>', 'the PodSandboxConfig the pod was created with, in JSON')
    .option('--no-pull', 'never pull the image')
    .option('--with-pull', 'pull the image even if it is present')
    .option('--creds <user[:password]>', 'registry credentials for the pull')
    .option('--auth <base64>', "registry credentials for the pull: base64 of 'user:password'")
    .action((podArg: string, containerPath: string, podPath: string, o: CreateOptions) =>
      run(async (ctx) => {
        if (!o.pull && o.withPull) throw new CliError(Code.INVALID_ARGUMENT, '--no-pull and --with-pull contradict each other');
        const config = await readContainerConfig(containerPath);
        const pod = await readPodSandboxConfig(podPath);
        if (config.image && config.image.userSpecifiedImage === '') config.image.userSpecifiedImage = config.image.image;
        const podSandboxId = await resolvePodId(ctx.clients.runtime, podArg, ctx.deadline);
        await ensureImage(ctx, config, pod, o);
        const res = await ctx.clients.runtime.createContainer({ podSandboxId, config, sandboxConfig: pod }, { deadline: ctx.deadline() });
        process.stdout.write(`${res.containerId}\n`);
      }),
    );
}
