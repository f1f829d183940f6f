import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { PodSandboxConfigSchema, type PodSandboxConfig } from '../../gen/runtime/v1/api_pb.js';
import type { CommandRunner } from '../program.js';

/** crictl's pod config file: the CRI PodSandboxConfig as JSON (snake_case or camelCase names). */
export function readPodConfig(file: string): PodSandboxConfig {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new Error(`${file} is not JSON (only the JSON form of a pod config is read): ${(e as Error).message}`);
  }
  try {
    return fromJson(PodSandboxConfigSchema, json, { ignoreUnknownFields: true });
  } catch (e) {
    throw new Error(`${file} is not a PodSandboxConfig: ${(e as Error).message}`);
  }
}

export function registerRunp(program: Command, run: CommandRunner): void {
  program
    .command('runp')
    .description('run a pod sandbox from a pod config JSON file ("-" reads stdin); prints its id')
    .argument('<pod-config.json>')
    .option('--runtime <handler>', 'runtime handler (default: the runtime\'s default)', '')
    .action((file: string, o: { runtime: string }) =>
      run(async (ctx) => {
        const config = readPodConfig(file);
        const res = await ctx.clients.runtime.runPodSandbox({ config, runtimeHandler: o.runtime }, { deadline: ctx.deadline() });
        process.stdout.write(`${res.podSandboxId}\n`);
      }),
    );
}
