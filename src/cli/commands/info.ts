import type { Command } from 'commander';
import { StatusResponseSchema } from '../../gen/runtime/v1/api_pb.js';
import { decodeInfo, messageJson, printJson } from '../output.js';
import type { CommandRunner } from '../program.js';

// Like `crictl info`: the runtime's status, with each verbose info entry decoded when it is JSON.
export function registerInfo(program: Command, run: CommandRunner): void {
  program
    .command('info')
    .description("print the runtime's status conditions, handlers and configuration")
    .action(() =>
      run(async (ctx) => {
        const res = await ctx.clients.runtime.status({ verbose: true }, { deadline: ctx.deadline() });
        const out = messageJson(StatusResponseSchema, res) as Record<string, unknown>;
        delete out.info;
        printJson({ ...out, ...decodeInfo(res.info) });
      }),
    );
}
