import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through unchanged while counting them and hashing them with SHA-256. */
export class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Hex digest; call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Passes bytes through but holds back the end of the stream until `check` resolves: the upload that reads from
 * this gate cannot complete (and so no object becomes visible) unless the producer is proven to have succeeded.
 */
export class FinishGate extends Transform {
  constructor(private readonly check: () => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.check().then(() => callback(), callback);
  }
}
