// grpc-js server and client built from service-definitions.ts, talking over a unix socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  ContainerEventResponseSchema,
  ContainerEventType,
  VersionResponseSchema,
  type ContainerEventResponse,
  type GetEventsRequest,
  type VersionRequest,
  type VersionResponse,
} from '../../src/gen/runtime/v1/api_pb.js';
import {
  CRI_CHANNEL_OPTIONS,
  imageServiceDefinition,
  makeCriClients,
  runtimeServiceDefinition,
} from '../../src/server/service-definitions.js';

async function withServer(
  implementation: grpc.UntypedServiceImplementation,
  body: (socket: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'critter-sd-'));
  const socket = join(dir, 'cri.sock');
  const server = new grpc.Server(CRI_CHANNEL_OPTIONS);
  server.addService(runtimeServiceDefinition, implementation);
  server.addService(imageServiceDefinition, {});
  await new Promise<number>((ok, fail) =>
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (e, port) => (e ? fail(e) : ok(port))),
  );
  try {
    await body(socket);
  } finally {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

void test('definitions carry the CRI paths and streaming flags', () => {
  assert.equal(runtimeServiceDefinition.Version.path, '/runtime.v1.RuntimeService/Version');
  assert.equal(runtimeServiceDefinition.Version.originalName, 'version');
  assert.equal(runtimeServiceDefinition.GetContainerEvents.responseStream, true);
  assert.equal(runtimeServiceDefinition.GetContainerEvents.requestStream, false);
  assert.equal(imageServiceDefinition.PullImage.path, '/runtime.v1.ImageService/PullImage');
  assert.equal(Object.keys(runtimeServiceDefinition).length, 29);
  assert.equal(Object.keys(imageServiceDefinition).length, 5);
});

void test('Version, GetContainerEvents and UNIMPLEMENTED round-trip over a unix socket', async () => {
  const implementation: grpc.UntypedServiceImplementation = {
    Version: (call: grpc.ServerUnaryCall<VersionRequest, VersionResponse>, done: grpc.sendUnaryData<VersionResponse>) =>
      done(
        null,
        create(VersionResponseSchema, {
          version: call.request.version,
          runtimeName: 'critter',
          runtimeVersion: '0.1.0',
          runtimeApiVersion: 'v1',
        }),
      ),
    // Keyed by local name on purpose: originalName lets grpc-js find it too.
    getContainerEvents: (call: grpc.ServerWritableStream<GetEventsRequest, ContainerEventResponse>) => {
      for (const id of ['a', 'b']) {
        call.write(
          create(ContainerEventResponseSchema, {
            containerId: id,
            containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT,
            createdAt: 42n,
          }),
        );
      }
      call.end();
    },
  };
  await withServer(implementation, async (socket) => {
    const cri = makeCriClients(socket);
    try {
      await cri.ready(5000);
      const v = await cri.runtime.version({ version: 'v1' });
      assert.deepEqual(
        [v.version, v.runtimeName, v.runtimeVersion, v.runtimeApiVersion],
        ['v1', 'critter', '0.1.0', 'v1'],
      );

      const events: string[] = [];
      for await (const ev of cri.runtime.getContainerEvents({})) {
        assert.equal(ev.containerEventType, ContainerEventType.CONTAINER_STARTED_EVENT);
        assert.equal(ev.createdAt, 42n);
        events.push(ev.containerId);
      }
      assert.deepEqual(events, ['a', 'b']);

      await assert.rejects(cri.image.imageFsInfo({}), (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED);
    } finally {
      cri.close();
    }
  });
});
