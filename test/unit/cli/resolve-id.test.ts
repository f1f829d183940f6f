// ID prefix resolution for the container verbs, against a fake runtime's lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { status as Code } from '@grpc/grpc-js';
import { ListContainersResponseSchema, ListPodSandboxResponseSchema } from '../../../src/gen/runtime/v1/api_pb.js';
import { describeCallError } from '../../../src/cli/context.js';
import { CliError, resolveContainerId, resolveIdPrefix, resolvePodId } from '../../../src/cli/resolve-id.js';

const id = (head: string): string => head.padEnd(64, '0');
const IDS = [id('abc123'), id('abc456'), id('abd'), id('f00d')];

test('an exact ID or a unique prefix resolves to the full ID', () => {
  assert.equal(resolveIdPrefix('container', IDS[0]!, IDS), IDS[0]);
  assert.equal(resolveIdPrefix('container', 'abc1', IDS), IDS[0]);
  assert.equal(resolveIdPrefix('container', 'abd', IDS), IDS[2]);
  assert.equal(resolveIdPrefix('container', 'f', IDS), IDS[3]);
});

test('an ambiguous prefix is an INVALID_ARGUMENT naming the candidates; no match is NOT_FOUND', () => {
  assert.throws(
    () => resolveIdPrefix('container', 'abc', IDS),
    (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.code, Code.INVALID_ARGUMENT);
      assert.equal(
        describeCallError(e),
        `INVALID_ARGUMENT: the container ID prefix "abc" is ambiguous: it matches 2 containers (abc1230000000, abc4560000000); give more of the ID`,
      );
      return true;
    },
  );
  assert.throws(() => resolveIdPrefix('pod sandbox', 'ab', IDS), /matches 3 pod sandboxes/);
  assert.throws(
    () => resolveIdPrefix('container', 'beef', IDS),
    (e: unknown) => e instanceof CliError && describeCallError(e) === 'NOT_FOUND: no container has an ID starting with "beef"',
  );
  assert.throws(() => resolveIdPrefix('container', '', IDS), /the container ID is empty/);
  assert.throws(() => resolveIdPrefix('container', 'a', []), /NOT_FOUND|no container/);
});

test('resolution lists containers or pods through the runtime, and skips the call for a full ID', async () => {
  const calls: string[] = [];
  const fake = {
    listContainers: () => {
      calls.push('containers');
      return Promise.resolve(create(ListContainersResponseSchema, { containers: IDS.map((i) => ({ id: i })) }));
    },
    listPodSandbox: () => {
      calls.push('pods');
      return Promise.resolve(create(ListPodSandboxResponseSchema, { items: [{ id: id('9a9') }, { id: id('9b9') }] }));
    },
  };
  const deadline = () => new Date(Date.now() + 1000);
  assert.equal(await resolveContainerId(fake, 'f00', deadline), IDS[3]);
  assert.equal(await resolvePodId(fake, '9b', deadline), id('9b9'));
  await assert.rejects(resolvePodId(fake, '9', deadline), /ambiguous/);
  assert.deepEqual(calls, ['containers', 'pods', 'pods']);
  const full = 'e'.repeat(64);
  assert.equal(await resolveContainerId(fake, full, deadline), full);
  assert.equal(calls.length, 3);
});
