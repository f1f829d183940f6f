import type { Command } from 'commander';
import type { CommandRunner } from '../program.js';

// Like crictl rmi: each image is looked up first so a typo is reported rather than silently
// "removed" (RemoveImage itself succeeds for a missing image); prints what was deleted.
export function registerRmi(program: Command, run: CommandRunner): void {
  program
    .command('rmi')
    .description('remove one or more images')
    .argument('[image...]', 'images, in any reference form or by id')
    .option('--prune', 'remove every image that is not pinned (containers are not checked yet)')
    .action((args: string[], o: { prune?: boolean }) =>
      run(async (ctx) => {
        const client = ctx.images.image;
        const targets = [...args];
        if (o.prune) {
          const all = await client.listImages({}, { deadline: ctx.deadline() });
          targets.push(...all.images.filter((i) => !i.pinned).map((i) => i.id));
        }
        if (targets.length === 0) throw new Error('rmi: name at least one image, or use --prune');
        let failed = false;
        for (const image of new Set(targets)) {
          const st = await client.imageStatus({ image: { image } }, { deadline: ctx.deadline() });
          if (!st.image) {
            process.stderr.write(`critter: no such image ${image}\n`);
            failed = true;
            continue;
          }
          await client.removeImage({ image: { image } }, { deadline: ctx.deadline() });
          const names = st.image.repoTags.length > 0 ? st.image.repoTags : st.image.repoDigests;
          for (const n of names.length > 0 ? names : [st.image.id]) process.stdout.write(`Deleted: ${n}\n`);
        }
        if (failed) throw new Error('unable to remove the image(s)');
      }),
    );
}
