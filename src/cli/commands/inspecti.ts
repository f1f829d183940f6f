import type { Command } from 'commander';
import { ImageSchema } from '../../gen/runtime/v1/api_pb.js';
import { decodeInfo, messageJson, printJson } from '../output.js';
import type { CommandRunner } from '../program.js';

// Like crictl inspecti -o json: {"status": <Image>, "info": {…}} per image, info values decoded
// when they are JSON; an image that is not there is an error.
export function registerInspecti(program: Command, run: CommandRunner): void {
  program
    .command('inspecti')
    .description('print the status of one or more images as JSON')
    .argument('<image...>', 'images, in any reference form or by id')
    .option('-q, --quiet', 'without the verbose info')
    .action((images: string[], o: { quiet?: boolean }) =>
      run(async (ctx) => {
        const out: unknown[] = [];
        for (const image of images) {
          const res = await ctx.images.image.imageStatus({ image: { image }, verbose: !o.quiet }, { deadline: ctx.deadline() });
          if (!res.image) throw new Error(`no such image "${image}" present`);
          const info = decodeInfo(res.info);
          out.push({ status: messageJson(ImageSchema, res.image), ...(o.quiet ? {} : { info }) });
        }
        printJson(out.length === 1 ? out[0] : out);
      }),
    );
}
