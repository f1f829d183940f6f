import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import type { AuthConfigSchema } from '../../gen/runtime/v1/api_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { parseTimeout } from '../context.js';
import type { CommandRunner } from '../program.js';
import { makeRenderer } from '../progress/render.js';
import { watchPull } from '../progress/watch.js';

interface PullOptions {
  creds?: string;
  auth?: string;
  username?: string;
  password?: string;
  pullTimeout: string;
}

type Auth = MessageInitShape<typeof AuthConfigSchema>;

// crictl's flags: --creds USER[:PASS], --auth BASE64, --username (password from --password or
// stdin). Credentials go to the runtime in the request and nowhere else.
async function authFrom(o: PullOptions): Promise<Auth | undefined> {
  const given = [o.creds, o.auth, o.username].filter((x) => x !== undefined).length;
  if (given > 1) throw new InvalidArgumentError('use only one of --creds, --auth and --username');
  if (o.creds !== undefined) {
    const i = o.creds.indexOf(':');
    const username = i < 0 ? o.creds : o.creds.slice(0, i);
    if (username === '') throw new InvalidArgumentError('--creds: the username is empty');
    return { username, password: i < 0 ? '' : o.creds.slice(i + 1) };
  }
  if (o.auth !== undefined) return { auth: o.auth };
  if (o.username !== undefined) return { username: o.username, password: o.password ?? (await readPassword()) };
  return undefined;
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

export function registerPull(program: Command, run: CommandRunner): void {
  program
    .command('pull')
    .description('pull an image from a registry (progress bars when talking to critterd)')
    .argument('<image>', 'NAME[:TAG|@DIGEST]')
    .option('--creds <user:password>', 'registry credentials')
    .option('--auth <base64>', "base64 of 'user:password'")
    .option('-u, --username <user>', 'registry user; the password comes from --password or stdin')
    .option('-p, --password <password>', 'password for --username')
    .option('--pull-timeout <duration>', 'give up after this long; 0 waits for ever (the global --timeout does not apply)', '0')
    .action((image: string, o: PullOptions) =>
      run(async (ctx) => {
        const auth = await authFrom(o);
        const timeoutMs = parseTimeout(o.pullTimeout);
        const renderer = makeRenderer();
        const watch = watchPull(ctx.images.channel, image, (p) => renderer.update(p));
        try {
          if (!(await watch.ready)) renderer.spinner(image);
          const res = await ctx.images.image.pullImage(
            { image: { image }, ...(auth ? { auth } : {}) },
            timeoutMs > 0 ? { deadline: new Date(Date.now() + timeoutMs) } : {},
          );
          renderer.stop();
          process.stdout.write(`Image is up to date for ${res.imageRef}\n`);
        } finally {
          renderer.stop();
          watch.cancel();
        }
      }),
    );
}
