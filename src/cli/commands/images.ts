import type { Command } from 'commander';
import { ListImagesResponseSchema, type Image } from '../../gen/runtime/v1/api_pb.js';
import { messageJson, printJson, printTable } from '../output.js';
import type { CommandRunner } from '../program.js';
import { humanSize } from '../progress/human-size.js';

interface ImagesOptions {
  quiet?: boolean;
  output?: string;
  digests?: boolean;
  /** commander's --no-trunc sets trunc to false. */
  trunc?: boolean;
}

const trunc = (id: string): string => id.replace(/^sha256:/, '').slice(0, 13);

/** crictl's rows: one per tag; an untagged image shows its repository and <none>. */
export function imageRows(img: Image, o: { digests?: boolean; noTrunc?: boolean }): string[][] {
  const [name = '<none>', digest = '<none>'] = img.repoDigests[0]?.split('@') ?? [];
  const pairs = img.repoTags.length === 0 ? [[name, '<none>']] : img.repoTags.map((t) => [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)]);
  const id = o.noTrunc ? img.id : trunc(img.id);
  return pairs.map(([repo = '', tag = '']) => [repo, tag, ...(o.digests ? [o.noTrunc ? digest : trunc(digest)] : []), id, humanSize(Number(img.size))]);
}

// crictl's order: first tag, else first digest, else id.
function byRef(a: Image, b: Image): number {
  const ka = a.repoTags[0] ?? a.repoDigests[0] ?? a.id;
  const kb = b.repoTags[0] ?? b.repoDigests[0] ?? b.id;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function registerImages(program: Command, run: CommandRunner): void {
  program
    .command('images')
    .alias('image')
    .alias('img')
    .description('list images (crictl columns: IMAGE TAG IMAGE ID SIZE)')
    .argument('[image]', 'only this image (any reference form, or an id prefix)')
    .option('-q, --quiet', 'only image ids')
    .option('-o, --output <format>', 'json or table', 'table')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'full ids')
    .action((filter: string | undefined, o: ImagesOptions) =>
      run(async (ctx) => {
        const res = await ctx.images.image.listImages(filter ? { filter: { image: { image: filter } } } : {}, { deadline: ctx.deadline() });
        const noTrunc = o.trunc === false;
        res.images.sort(byRef);
        if (o.output === 'json') return printJson(messageJson(ListImagesResponseSchema, res));
        if (o.quiet) {
          for (const img of res.images) process.stdout.write(`${img.id}\n`);
          return;
        }
        const header = ['IMAGE', 'TAG', ...(o.digests ? ['DIGEST'] : []), 'IMAGE ID', 'SIZE'];
        printTable(header, res.images.flatMap((img) => imageRows(img, { digests: o.digests, noTrunc })));
      }),
    );
}
