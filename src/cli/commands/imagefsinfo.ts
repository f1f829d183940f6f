import type { Command } from 'commander';
import { ImageFsInfoResponseSchema } from '../../gen/runtime/v1/api_pb.js';
import { messageJson, printJson } from '../output.js';
import type { CommandRunner } from '../program.js';

// Like crictl imagefsinfo: the response as JSON, under "status".
export function registerImagefsinfo(program: Command, run: CommandRunner): void {
  program
    .command('imagefsinfo')
    .description('print the image filesystem usage')
    .action(() =>
      run(async (ctx) => {
        const res = await ctx.images.image.imageFsInfo({}, { deadline: ctx.deadline() });
        printJson({ status: messageJson(ImageFsInfoResponseSchema, res) });
      }),
    );
}
