// The one place where domain errors become gRPC statuses. Anything that is not a CritterError is
// a bug or an unexpected failure of the outside world: it is reported as Internal with its message.
import { status as Code, Metadata, type ServiceError } from '@grpc/grpc-js';
import { errorMessage, isCritterError, type ErrorKind } from '../util/errors.js';

const CODES: Record<ErrorKind, Code> = {
  NotFound: Code.NOT_FOUND,
  InvalidArgument: Code.INVALID_ARGUMENT,
  AlreadyExists: Code.ALREADY_EXISTS,
  FailedPrecondition: Code.FAILED_PRECONDITION,
  DeadlineExceeded: Code.DEADLINE_EXCEEDED,
  ResourceExhausted: Code.RESOURCE_EXHAUSTED,
  Unavailable: Code.UNAVAILABLE,
  Unimplemented: Code.UNIMPLEMENTED,
  Cancelled: Code.CANCELLED,
  Internal: Code.INTERNAL,
};

// The message travels in an HTTP/2 trailer; an echo of a huge bad value must not overflow it.
const MAX_DETAILS = 4096;

export function toServiceError(e: unknown): ServiceError {
  const code = isCritterError(e) ? CODES[e.kind] : Code.INTERNAL;
  const full = errorMessage(e);
  const details = full.length > MAX_DETAILS ? `${full.slice(0, MAX_DETAILS)}... (${full.length - MAX_DETAILS} more characters)` : full;
  const err = new Error(details) as ServiceError;
  err.code = code;
  err.details = details;
  err.metadata = new Metadata();
  return err;
}

export function codeName(code: Code): string {
  return Code[code] ?? String(code);
}
