import { availableParallelism } from 'node:os';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParallelGzip, type ParallelGzipOptions } from '../../../containers/backup/src/parallelGzip.ts';
import { gzipMembers, systemGunzip } from '../support/gzip.ts';
import { Collector, chunksOf, randomBytesFrom, randomChunks, seeded, through } from '../support/streams.ts';

function compress(chunks: readonly Buffer[], options: ParallelGzipOptions): Promise<Buffer> {
  return through(new ParallelGzip(options), chunks);
}

/** The output must be a well-formed multi-member gzip that every reader turns back into exactly the input. */
async function expectRoundTrip(input: Buffer, output: Buffer, blockBytes?: number): Promise<Buffer[]> {
  const members = gzipMembers(output);
  expect(Buffer.concat(members).equals(input)).toBe(true);
  expect(gunzipSync(output).equals(input)).toBe(true);
  expect((await systemGunzip(output)).equals(input)).toBe(true);
  if (input.length === 0) {
    expect(members).toHaveLength(1);
  } else {
    // Every member carries data, and members are cut by size: none (but the last) smaller than a block.
    for (const member of members) expect(member.length).toBeGreaterThan(0);
    if (blockBytes !== undefined) {
      for (const member of members.slice(0, -1)) expect(member.length).toBeGreaterThanOrEqual(blockBytes);
      expect(members.length).toBeLessThanOrEqual(Math.ceil(input.length / blockBytes));
    }
  }
  return members;
}

const sqlText = (random: () => number, length: number): Buffer => {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const row = `INSERT INTO \`orders\` VALUES (${i},'customer-${Math.floor(random() * 1000)}','2024-01-0${(i % 9) + 1}',${(random() * 1e4).toFixed(2)});\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, length);
};

describe('ParallelGzip', () => {
  it('turns empty input into one valid, empty gzip member', async () => {
    const output = await compress([], { level: 6 });
    await expectRoundTrip(Buffer.alloc(0), output);
  });

  it('compresses a single byte', async () => {
    const input = Buffer.from([0x42]);
    const members = await expectRoundTrip(input, await compress([input], { level: 1 }), 1024);
    expect(members).toHaveLength(1);
  });

  it('writes exactly one member for input of exactly one block, with no empty member after it', async () => {
    const input = randomBytesFrom(seeded(3), 4096);
    for (const chunks of [[input], chunksOf(input, 1000), chunksOf(input, 1)]) {
      const members = await expectRoundTrip(input, await compress(chunks, { level: 1, blockBytes: 4096 }), 4096);
      expect(members).toHaveLength(1);
    }
  });

  it('writes many members in input order for random and compressible input, at every concurrency', async () => {
    const random = seeded(11);
    const inputs = {
      random: randomBytesFrom(random, 200_003),
      sql: sqlText(random, 250_000),
      zeros: Buffer.alloc(100_000),
      mixed: Buffer.concat([sqlText(random, 30_000), randomBytesFrom(random, 30_000), Buffer.alloc(30_000, 0x41)]),
    };
    for (const [name, input] of Object.entries(inputs)) {
      for (const concurrency of [1, 2, 3, 8, 0]) {
        for (const blockBytes of [997, 16_384]) {
          const chunks = randomChunks(random, input, 5000);
          const output = await compress(chunks, { level: concurrency % 2 === 0 ? 1 : 6, concurrency, blockBytes });
          const members = await expectRoundTrip(input, output, blockBytes).catch((error: unknown) => {
            throw new Error(`${name}, concurrency ${concurrency}, blockBytes ${blockBytes}: ${String(error)}`);
          });
          expect(members.length).toBeGreaterThan(input.length / (blockBytes + 5000) - 1);
        }
      }
    }
  });

  it('compresses compressible input and stays a valid stream at every level', async () => {
    const input = sqlText(seeded(5), 120_000);
    for (const level of [1, 5, 9]) {
      const output = await compress(chunksOf(input, 8192), { level, concurrency: 4, blockBytes: 32_768 });
      expect(output.length).toBeLessThan(input.length / 2);
      await expectRoundTrip(input, output, 32_768);
    }
  });

  it('keeps member order when later blocks compress much faster than earlier ones', async () => {
    // Block 0 is incompressible at level 9 (slow); the blocks after it are zeros (fast).
    const random = seeded(13);
    const blockBytes = 512 * 1024;
    const slow = randomBytesFrom(random, blockBytes);
    const fast = Buffer.alloc(blockBytes * 5, 0);
    const input = Buffer.concat([slow, fast]);
    const output = await compress(chunksOf(input, 64 * 1024), { level: 9, concurrency: 6, blockBytes });
    const members = await expectRoundTrip(input, output, blockBytes);
    expect(members[0]?.equals(slow)).toBe(true);
  });

  it('works with concurrency 1', async () => {
    const input = sqlText(seeded(17), 50_000);
    const output = await compress(chunksOf(input, 1000), { level: 6, concurrency: 1, blockBytes: 4000 });
    const members = await expectRoundTrip(input, output, 4000);
    expect(members.length).toBeGreaterThanOrEqual(10);
  });

  it('defaults to one block in flight per CPU and 1 MiB blocks', async () => {
    expect(availableParallelism()).toBeGreaterThan(0);
    const input = sqlText(seeded(19), 3 * 1024 * 1024 + 5);
    const members = await expectRoundTrip(input, await compress(chunksOf(input, 65_536), { level: 1 }), 1024 * 1024);
    expect(members.length).toBeGreaterThanOrEqual(3);
  });

  it('propagates an error from the stage before it', async () => {
    const failure = new Error('mysqldump stream broke');
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(10_000, 0x61);
      yield Buffer.alloc(10_000, 0x62);
      throw failure;
    }
    const gzip = new ParallelGzip({ level: 1, concurrency: 2, blockBytes: 4096 });
    await expect(pipeline(Readable.from(source()), gzip, new Collector())).rejects.toBe(failure);
    expect(gzip.destroyed).toBe(true);
  });

  it('propagates an error from the stage after it', async () => {
    const failure = new Error('upload failed');
    const sink = new Writable({ write: (_chunk, _enc, callback) => callback(failure) });
    const input = sqlText(seeded(23), 100_000);
    await expect(
      pipeline(
        Readable.from(chunksOf(input, 4096)),
        new ParallelGzip({ level: 1, concurrency: 2, blockBytes: 8192 }),
        sink,
      ),
    ).rejects.toBe(failure);
  });

  it('propagates a compression error as a stream error', async () => {
    // An out-of-range level makes zlib itself fail on the first block.
    const input = Buffer.alloc(50_000, 0x61);
    const flow = pipeline(
      Readable.from(chunksOf(input, 4096)),
      new ParallelGzip({ level: 42, concurrency: 2, blockBytes: 8192 }),
      new Collector(),
    );
    await expect(flow).rejects.toThrow(/level/i);
  });

  it('is a Transform that a pipeline can end early without leaking work', async () => {
    const gzip = new ParallelGzip({ level: 1, concurrency: 4, blockBytes: 1024 });
    expect(gzip).toBeInstanceOf(Transform);
    const controller = new AbortController();
    const input = sqlText(seeded(29), 200_000);
    const flow = pipeline(Readable.from(chunksOf(input, 512)), gzip, new Collector(), { signal: controller.signal });
    controller.abort();
    await expect(flow).rejects.toThrow(/abort/i);
  });
});
