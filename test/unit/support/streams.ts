import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A writable that keeps every byte it is given. */
export class Collector extends Writable {
  private readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    callback();
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Feeds `chunks` (in this order, as separate writes) through `transform` and returns everything it produced. */
export async function through(transform: Transform, chunks: readonly Buffer[]): Promise<Buffer> {
  const out = new Collector();
  await pipeline(Readable.from(chunks.filter((c) => c.length > 0)), transform, out);
  return out.data;
}

/** Splits `data` at the given offsets (ascending, within bounds). */
export function splitAt(data: Buffer, ...offsets: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const at of offsets) {
    parts.push(data.subarray(from, at));
    from = at;
  }
  parts.push(data.subarray(from));
  return parts;
}

/** Splits `data` into chunks of `size` bytes (the last may be shorter). */
export function chunksOf(data: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return parts;
}

/** Small seeded PRNG (mulberry32), so a failing random case can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` pseudo-random bytes from `random`. */
export function randomBytesFrom(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Cuts `data` into chunks of random sizes between 1 and `maxChunk`. */
export function randomChunks(random: () => number, data: Buffer, maxChunk: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const size = 1 + Math.floor(random() * maxChunk);
    parts.push(data.subarray(at, at + size));
    at += size;
  }
  return parts;
}
