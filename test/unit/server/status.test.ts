import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status as Code } from '@grpc/grpc-js';
import { toServiceError } from '../../../src/server/status.js';
import { CritterError, type ErrorKind } from '../../../src/util/errors.js';

test('every domain error kind maps to its gRPC code, keeping the message', () => {
  const cases: [ErrorKind, Code][] = [
    ['NotFound', Code.NOT_FOUND],
    ['InvalidArgument', Code.INVALID_ARGUMENT],
    ['AlreadyExists', Code.ALREADY_EXISTS],
    ['FailedPrecondition', Code.FAILED_PRECONDITION],
    ['DeadlineExceeded', Code.DEADLINE_EXCEEDED],
    ['ResourceExhausted', Code.RESOURCE_EXHAUSTED],
    ['Unavailable', Code.UNAVAILABLE],
    ['Unimplemented', Code.UNIMPLEMENTED],
    ['Cancelled', Code.CANCELLED],
    ['Internal', Code.INTERNAL],
  ];
  for (const [kind, code] of cases) {
    const se = toServiceError(new CritterError(kind, `pod "web" went ${kind}`));
    assert.equal(se.code, code, kind);
    assert.equal(se.details, `pod "web" went ${kind}`);
  }
});

test('unexpected errors are Internal with their message', () => {
  const se = toServiceError(new TypeError('x is undefined'));
  assert.equal(se.code, Code.INTERNAL);
  assert.equal(se.details, 'x is undefined');
});

test('huge messages are cut so that they fit a gRPC trailer', () => {
  const se = toServiceError(new CritterError('InvalidArgument', `bad value ${'x'.repeat(100_000)}`));
  assert.ok(se.details.length < 5000);
  assert.match(se.details, /more characters\)$/);
});
