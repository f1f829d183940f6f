// Bridges the protobuf-es descriptors generated from proto/runtime/v1/api.proto and @grpc/grpc-js:
// grpc-js service definitions (binary protobuf codec per method) for the server, and typed
// promise-based clients for the CLI and tests. Handlers and their adapter live in instrument.ts.
// Only unary and server-streaming methods exist in CRI v1.
import { Buffer } from 'node:buffer';
import * as grpc from '@grpc/grpc-js';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { ImageService, RuntimeService } from '../gen/runtime/v1/api_pb.js';

/** The kubelet's CRI message size limit, both directions. */
export const CRI_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Channel options for both ends of a CRI connection. */
export const CRI_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': CRI_MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': CRI_MAX_MESSAGE_BYTES,
};

type MethodShape = GenServiceMethods[string];
type MethodsOf<S> = S extends GenService<infer M> ? M : never;

// ---------------------------------------------------------------------------
// Wire codec and grpc-js service definitions
// ---------------------------------------------------------------------------

/** gRPC path of a method: `/runtime.v1.RuntimeService/Version`. */
export const methodPath = (method: DescMethod): string => `/${method.parent.typeName}/${method.name}`;

function encoder(schema: DescMessage): (msg: Message) => Buffer {
  return (msg) => {
    const bytes = toBinary(schema, msg);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function decoder(schema: DescMessage): (buf: Buffer) => Message {
  return (buf) => fromBinary(schema, buf);
}

/**
 * A grpc-js ServiceDefinition for a protobuf-es service, laid out like @grpc/proto-loader's:
 * keyed by the proto method name (`RunPodSandbox`), with the local name (`runPodSandbox`) as
 * `originalName`, so grpc-js finds an implementation under either key.
 */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    definition[method.name] = {
      path: methodPath(method),
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: encoder(method.input),
      requestDeserialize: decoder(method.input),
      responseSerialize: encoder(method.output),
      responseDeserialize: decoder(method.output),
      originalName: method.localName,
    };
  }
  return definition;
}

export const runtimeServiceDefinition: grpc.ServiceDefinition = serviceDefinition(RuntimeService);
export const imageServiceDefinition: grpc.ServiceDefinition = serviceDefinition(ImageService);

// ---------------------------------------------------------------------------
// Client side: promise-returning methods
// ---------------------------------------------------------------------------

export interface ClientCallOptions extends grpc.CallOptions {
  metadata?: grpc.Metadata;
  /** Cancels the call when aborted. */
  signal?: AbortSignal;
}

export type UnaryMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: ClientCallOptions,
) => Promise<MessageShape<O>>;

/** Server-streamed responses; iteration ends on OK and throws the call's error otherwise. */
export interface ResponseStream<T> extends AsyncIterable<T> {
  cancel(): void;
  readonly call: grpc.ClientReadableStream<T>;
}

export type ServerStreamingMethod<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: ClientCallOptions,
) => ResponseStream<MessageShape<O>>;

export type ClientMethodFor<M extends MethodShape> = M['methodKind'] extends 'unary'
  ? UnaryMethod<M['input'], M['output']>
  : M['methodKind'] extends 'server_streaming'
    ? ServerStreamingMethod<M['input'], M['output']>
    : never;

export type ServiceClient<S extends GenServiceMethods> = { readonly [K in keyof S]: ClientMethodFor<S[K]> };
export type RuntimeServiceClient = ServiceClient<MethodsOf<typeof RuntimeService>>;
export type ImageServiceClient = ServiceClient<MethodsOf<typeof ImageService>>;

function unaryMethod(client: grpc.Client, method: DescMethod): UnaryMethod<DescMessage, DescMessage> {
  return (request, options = {}) => {
    const { metadata = new grpc.Metadata(), signal, ...callOptions } = options;
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(
        methodPath(method),
        encoder(method.input),
        decoder(method.output),
        create(method.input, request),
        metadata,
        callOptions,
        (error, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else if (response === undefined) reject(new Error(`${method.name}: empty response`));
          else resolve(response);
        },
      );
      const onAbort = (): void => call.cancel();
      if (signal?.aborted) call.cancel();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
}

function serverStreamingMethod(client: grpc.Client, method: DescMethod): ServerStreamingMethod<DescMessage, DescMessage> {
  return (request, options = {}) => {
    const { metadata = new grpc.Metadata(), signal, ...callOptions } = options;
    const call = client.makeServerStreamRequest(
      methodPath(method),
      encoder(method.input),
      decoder(method.output),
      create(method.input, request),
      metadata,
      callOptions,
    );
    if (signal?.aborted) call.cancel();
    else signal?.addEventListener('abort', () => call.cancel(), { once: true });
    return {
      call,
      cancel: () => call.cancel(),
      // Readable's iterator is typed with `any` items; the decoder above makes them Messages.
      [Symbol.asyncIterator]: () => call[Symbol.asyncIterator]() as AsyncIterator<Message>,
    };
  };
}

/** Promise/stream wrappers for every method of `service`, sharing the channel of `client`. */
export function makeServiceClient<S extends GenServiceMethods>(client: grpc.Client, service: GenService<S>): ServiceClient<S> {
  const methods: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind === 'unary') methods[method.localName] = unaryMethod(client, method);
    else if (method.methodKind === 'server_streaming') methods[method.localName] = serverStreamingMethod(client, method);
    else throw new Error(`${methodPath(method)}: ${method.methodKind} methods are not supported`);
  }
  // Built from the same descriptor the type is derived from, one entry per method.
  return methods as ServiceClient<S>;
}

export interface CriClients {
  readonly runtime: RuntimeServiceClient;
  readonly image: ImageServiceClient;
  /** The underlying grpc-js client (one channel for both services). */
  readonly channel: grpc.Client;
  /** Resolves when the channel is connected; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): void;
}

/** grpc target for a unix socket path; `unix:` targets are passed through. */
export const unixTarget = (socketPath: string): string =>
  socketPath.startsWith('unix:') ? socketPath : `unix:${socketPath}`;

/** CRI clients over the unix socket at `socketPath`, with the kubelet's 16 MiB message limits. */
export function makeCriClients(socketPath: string, options: grpc.ChannelOptions = {}): CriClients {
  const channel = new grpc.Client(unixTarget(socketPath), grpc.credentials.createInsecure(), {
    ...CRI_CHANNEL_OPTIONS,
    ...options,
  });
  return {
    runtime: makeServiceClient(channel, RuntimeService),
    image: makeServiceClient(channel, ImageService),
    channel,
    ready: (timeoutMs) =>
      new Promise((resolve, reject) => {
        channel.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
      }),
    close: () => channel.close(),
  };
}
