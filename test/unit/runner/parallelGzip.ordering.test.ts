import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParallelGzip } from '../../../containers/backup/src/parallelGzip.ts';
import { gzipMembers, systemGunzip } from '../support/gzip.ts';
import { Collector, chunksOf } from '../support/streams.ts';

/**
 * zlib's gzip with a controllable delay and failure per call, so these tests decide which block finishes first
 * instead of hoping the thread pool does.
 */
const control = vi.hoisted(() => ({
  calls: 0,
  active: 0,
  maxActive: 0,
  delayMs: (_call: number): number => 0,
  failOn: -1,
}));

vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof Zlib>();
  const gzip = (
    buffer: Buffer,
    options: Zlib.ZlibOptions,
    callback: (error: Error | null, result?: Buffer) => void,
  ): void => {
    const call = control.calls++;
    control.maxActive = Math.max(control.maxActive, ++control.active);
    zlib.gzip(buffer, options, (error, result) => {
      setTimeout(() => {
        control.active--;
        if (call === control.failOn) callback(new Error(`block ${call} could not be compressed`));
        else callback(error, result);
      }, control.delayMs(call));
    });
  };
  return { ...zlib, gzip, default: { ...zlib, gzip } };
});

afterEach(() => {
  control.calls = 0;
  control.active = 0;
  control.maxActive = 0;
  control.delayMs = () => 0;
  control.failOn = -1;
});

/** Block i holds bytes of value i, so a member's content says which block it came from. */
function blocks(count: number, size: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.alloc(size, i)));
}

async function run(input: Buffer, concurrency: number, blockBytes: number): Promise<Buffer> {
  const out = new Collector();
  await pipeline(
    Readable.from(chunksOf(input, blockBytes)),
    new ParallelGzip({ level: 1, concurrency, blockBytes }),
    out,
  );
  return out.data;
}

describe('ParallelGzip member order', () => {
  it('writes members in input order when every later block finishes before the earlier ones', async () => {
    // Completion order is the reverse of input order within each window of in-flight blocks.
    control.delayMs = (call) => (20 - call) * 5;
    const input = blocks(12, 1000);
    const output = await run(input, 4, 1000);
    expect(control.calls).toBe(12);
    const members = gzipMembers(output);
    expect(members.map((m) => m[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(Buffer.concat(members).equals(input)).toBe(true);
    expect((await systemGunzip(output)).equals(input)).toBe(true);
  });

  it('holds back a slow first block while all the others are done', async () => {
    control.delayMs = (call) => (call === 0 ? 150 : 0);
    const input = blocks(6, 2048);
    const members = gzipMembers(await run(input, 6, 2048));
    expect(members.map((m) => m[0])).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stays in order with concurrency 1 and random delays', async () => {
    control.delayMs = (call) => (call * 7919) % 13;
    const input = blocks(10, 500);
    const members = gzipMembers(await run(input, 1, 500));
    expect(members.map((m) => m[0])).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('never has more blocks in flight than its concurrency', async () => {
    control.delayMs = (call) => (call % 3) * 4;
    for (const concurrency of [1, 2, 5]) {
      control.maxActive = 0;
      const input = blocks(20, 700);
      const members = gzipMembers(await run(input, concurrency, 700));
      expect(members).toHaveLength(20);
      expect(control.maxActive).toBeLessThanOrEqual(concurrency);
      if (concurrency > 1) expect(control.maxActive).toBeGreaterThan(1);
    }
  });

  it('fails the stream with the compression error of a block, even one that is not the oldest in flight', async () => {
    control.failOn = 2;
    control.delayMs = (call) => (call === 0 ? 50 : 0);
    const input = blocks(8, 1000);
    await expect(run(input, 4, 1000)).rejects.toThrow('block 2 could not be compressed');
  });

  it('fails the stream when the last block fails while the output is being flushed', async () => {
    control.failOn = 3;
    await expect(run(blocks(4, 1000), 8, 1000)).rejects.toThrow('block 3 could not be compressed');
  });
});
