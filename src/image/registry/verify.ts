// Checks a blob stream against its descriptor as it flows, so nothing has to be buffered
// and a truncated or corrupted download fails before it is committed anywhere.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { failedPrecondition, invalidArgument } from '../../util/errors.js';

export class DigestVerifier {
  private readonly hash: Hash;
  private seen = 0;

  constructor(
    readonly expectedDigest: string,
    readonly expectedSize?: number,
  ) {
    const algo = expectedDigest.slice(0, expectedDigest.indexOf(':'));
    if (algo !== 'sha256' && algo !== 'sha384' && algo !== 'sha512') {
      throw invalidArgument(`cannot verify digest "${expectedDigest}": unsupported algorithm`);
    }
    this.hash = createHash(algo);
  }

  /** Feeds bytes; throws as soon as more bytes arrive than the descriptor's size allows. */
  update(chunk: Uint8Array): void {
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      throw failedPrecondition(`content for ${this.expectedDigest} is larger than the expected ${this.expectedSize} bytes`);
    }
    this.hash.update(chunk);
  }

  get bytesSeen(): number {
    return this.seen;
  }

  /** Throws FailedPrecondition (containerd's kind for a bad commit) when size or digest differ. */
  verify(): void {
    if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
      throw failedPrecondition(
        `content for ${this.expectedDigest} has ${this.seen} bytes, expected ${this.expectedSize}`,
      );
    }
    const algo = this.expectedDigest.slice(0, this.expectedDigest.indexOf(':'));
    const actual = `${algo}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      throw failedPrecondition(`content digest mismatch: expected ${this.expectedDigest}, got ${actual}`);
    }
  }
}

/**
 * A pass-through Transform that errors at end of stream (or early, on oversize) when the data
 * does not match. To resume a partial download, pass a verifier already fed the stored bytes.
 */
export function verifyingStream(expectedDigest: string, expectedSize?: number, verifier?: DigestVerifier): Transform {
  const v = verifier ?? new DigestVerifier(expectedDigest, expectedSize);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      try {
        v.update(chunk);
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb(null, chunk);
    },
    flush(cb: TransformCallback): void {
      try {
        v.verify();
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb();
    },
  });
}

/** sha256 digest string of a buffer. */
export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
