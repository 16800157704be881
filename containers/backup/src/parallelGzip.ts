import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export interface ParallelGzipOptions {
  readonly level: number;
  /** Blocks compressed at once; each runs on the libuv thread pool. */
  readonly concurrency?: number;
  /** Input bytes per gzip member. */
  readonly blockBytes?: number;
}

/**
 * Gzip on every core: the input is cut into blocks that are compressed concurrently on libuv's thread pool
 * and written out, in order, as consecutive gzip members. RFC 1952 allows a file of many members and `gunzip`,
 * `zcat`, Node and every gzip library read it as one stream, so the output stays a plain `.sql.gz`.
 *
 * Memory stays bounded: at most `concurrency` blocks are in flight, and the transform stops accepting input
 * (backpressure) until the oldest one is written.
 */
export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly concurrency: number;
  private readonly blockBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly inFlight: Promise<Buffer>[] = [];
  private members = 0;

  constructor(options: ParallelGzipOptions) {
    super();
    this.level = options.level;
    // One more block than cores: the pool stays busy while the oldest block is handed on.
    this.concurrency = Math.max(1, options.concurrency || availableParallelism() + 1);
    this.blockBytes = options.blockBytes ?? 1024 * 1024;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.blockBytes) {
      callback();
      return;
    }
    this.submit(this.takePending()).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    const drain = async (): Promise<void> => {
      if (this.pendingBytes > 0 || this.members + this.inFlight.length === 0) await this.submit(this.takePending());
      while (this.inFlight.length > 0) await this.writeOldest();
    };
    drain().then(() => callback(), callback);
  }

  private takePending(): Buffer {
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return block;
  }

  private async submit(block: Buffer): Promise<void> {
    const compressed = gzipAsync(block, { level: this.level, chunkSize: block.length + 64 * 1024 });
    // Awaited in order later; a rejection before then must not count as unhandled.
    compressed.catch(() => undefined);
    this.inFlight.push(compressed);
    if (this.inFlight.length >= this.concurrency) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const next = this.inFlight.shift();
    if (!next) return;
    this.push(await next);
    this.members++;
  }
}
