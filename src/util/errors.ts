// Domain errors: what went wrong, in words a person understands, with a kind the gRPC layer
// maps to a status code (src/server/status.ts). Domain code throws these and never imports gRPC.

export type ErrorKind =
  | 'NotFound'
  | 'InvalidArgument'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'DeadlineExceeded'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'Unimplemented'
  | 'Cancelled'
  | 'Internal';

export class CritterError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `CritterError(${kind})`;
  }
}

export const notFound = (msg: string, cause?: unknown): CritterError => new CritterError('NotFound', msg, { cause });
export const invalidArgument = (msg: string, cause?: unknown): CritterError =>
  new CritterError('InvalidArgument', msg, { cause });
export const alreadyExists = (msg: string, cause?: unknown): CritterError =>
  new CritterError('AlreadyExists', msg, { cause });
export const failedPrecondition = (msg: string, cause?: unknown): CritterError =>
  new CritterError('FailedPrecondition', msg, { cause });
export const deadlineExceeded = (msg: string, cause?: unknown): CritterError =>
  new CritterError('DeadlineExceeded', msg, { cause });
export const resourceExhausted = (msg: string, cause?: unknown): CritterError =>
  new CritterError('ResourceExhausted', msg, { cause });
export const unavailable = (msg: string, cause?: unknown): CritterError =>
  new CritterError('Unavailable', msg, { cause });
export const cancelled = (msg: string, cause?: unknown): CritterError => new CritterError('Cancelled', msg, { cause });
export const internal = (msg: string, cause?: unknown): CritterError => new CritterError('Internal', msg, { cause });

export const isCritterError = (e: unknown): e is CritterError => e instanceof CritterError;

/** The message of anything thrown, for wrapping with context. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Node's errno code (ENOENT, EEXIST, ...) of a thrown value, if it has one. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
