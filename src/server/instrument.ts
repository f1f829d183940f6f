// One wrapper around every RPC, in the spirit of containerd's instrument layer: it builds the
// call context (cancellation and deadline as an AbortSignal), times the call, logs one debug line
// with method, duration and status code, and maps errors. Handlers carry none of this.
import { create, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  status as Code,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { CritterError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { codeName, toServiceError } from './status.js';

export interface CallContext {
  /** "RuntimeService/Version" */
  method: string;
  /** Aborted when the client cancels or its deadline passes. */
  signal: AbortSignal;
  /** Milliseconds since the epoch, when the client set a deadline. */
  deadline: number | undefined;
  log: Logger;
}

type Unary<I extends DescMessage, O extends DescMessage> = (req: MessageShape<I>, ctx: CallContext) => Promise<MessageInitShape<O>>;
type ServerStream<I extends DescMessage, O extends DescMessage> = (
  req: MessageShape<I>,
  ctx: CallContext,
  send: (msg: MessageInitShape<O>) => void,
) => Promise<void>;

type HandlerFor<M> = M extends { methodKind: 'unary'; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? Unary<I, O>
  : M extends { methodKind: 'server_streaming'; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStream<I, O>
    : never;

/** The method table of a generated service, e.g. `MethodsOf<typeof RuntimeService>`. */
export type MethodsOf<T> = T extends GenService<infer M> ? M : never;

/** Handlers by the method's local name (lowerCamelCase, e.g. `runPodSandbox`); a missing one answers UNIMPLEMENTED. */
export type ServiceHandlers<S extends GenServiceMethods> = { [K in keyof S]?: HandlerFor<S[K]> };

function deadlineOf(call: { getDeadline(): Date | number }): number | undefined {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function contextFor(method: string, call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, log: Logger): {
  ctx: CallContext;
  done: () => void;
} {
  const ac = new AbortController();
  const deadline = deadlineOf(call);
  // grpc-js reports a passed deadline as a cancellation; tell the two apart for the logs and errors.
  const onCancel = (): void =>
    ac.abort(
      deadline !== undefined && Date.now() >= deadline - 5
        ? new CritterError('DeadlineExceeded', `${method}: the client's deadline passed`)
        : new CritterError('Cancelled', `${method}: the client cancelled the call`),
    );
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    const left = Math.max(0, deadline - Date.now());
    timer = setTimeout(() => ac.abort(new CritterError('DeadlineExceeded', `${method}: the client's deadline passed`)), left);
  }
  return {
    ctx: { method, signal: ac.signal, deadline, log },
    done: () => {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}

/**
 * A grpc-js implementation for `service`, keyed by the RPC's proto name (e.g. `RunPodSandbox`)
 * to match the service definitions in service-definitions.ts.
 */
export function instrument<S extends GenServiceMethods>(
  service: GenService<S>,
  handlers: ServiceHandlers<S>,
  log: Logger,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  const serviceName = service.name;
  for (const m of service.methods) {
    const method = `${serviceName}/${m.name}`;
    const handler = (handlers as Record<string, unknown>)[m.localName] as
      | ((req: unknown, ctx: CallContext, send?: (msg: unknown) => void) => Promise<unknown>)
      | undefined;
    const finish = (start: bigint, code: Code, err?: string): void => {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      const entry = { method, durationMs: Math.round(durationMs * 1000) / 1000, code: codeName(code) };
      if (code === Code.INTERNAL) log.error({ ...entry, err }, 'rpc failed');
      else log.debug(entry, 'rpc');
    };
    if (m.methodKind === 'unary') {
      impl[m.name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const start = process.hrtime.bigint();
        if (handler === undefined) {
          const e = toServiceError(new CritterError('Unimplemented', `${method} is not implemented by critter yet`));
          finish(start, e.code);
          callback(e);
          return;
        }
        const { ctx, done } = contextFor(method, call, log);
        handler(call.request, ctx)
          .then((res) => {
            done();
            finish(start, Code.OK);
            callback(null, create(m.output, res as MessageInitShape<DescMessage>));
          })
          .catch((e: unknown) => {
            done();
            const se = toServiceError(e);
            finish(start, se.code, se.details);
            callback(se);
          });
      };
    } else if (m.methodKind === 'server_streaming') {
      impl[m.name] = (call: ServerWritableStream<unknown, unknown>) => {
        const start = process.hrtime.bigint();
        if (handler === undefined) {
          const e = toServiceError(new CritterError('Unimplemented', `${method} is not implemented by critter yet`));
          finish(start, e.code);
          call.emit('error', e);
          return;
        }
        const { ctx, done } = contextFor(method, call, log);
        const send = (msg: unknown): void => {
          call.write(create(m.output, msg as MessageInitShape<DescMessage>));
        };
        handler(call.request, ctx, send)
          .then(() => {
            done();
            finish(start, Code.OK);
            call.end();
          })
          .catch((e: unknown) => {
            done();
            const se = toServiceError(e);
            finish(start, se.code, se.details);
            call.emit('error', se);
          });
      };
    }
  }
  return impl;
}
