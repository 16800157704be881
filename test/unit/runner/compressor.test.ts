import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCompressor, igzipLevel } from '../../../containers/backup/src/compressor.ts';
import { BackupJobSchema, type BackupJob } from '../../../types/job.ts';

const job = (compressor: 'auto' | 'igzip' | 'zlib', compressionLevel = 1): BackupJob =>
  BackupJobSchema.parse({
    mode: 'backup',
    sourceId: 'src',
    connection: { engine: 'mariadb', host: 'db', database: 'shop', username: 'u' },
    password: { from: 'env' },
    s3: { bucket: 'bucket' },
    compressor,
    compressionLevel,
  });

const sql = Buffer.from("INSERT INTO t VALUES (1,'abc');\n".repeat(50_000));

async function compress(compressor: Awaited<ReturnType<typeof createCompressor>>, input: Buffer): Promise<Buffer> {
  const out = buffer(compressor.stream);
  await pipeline(Readable.from([input]), compressor.stream);
  await compressor.finished;
  return out;
}

describe('igzipLevel', () => {
  it('maps zlib levels onto ISA-L levels, fastest first', () => {
    expect([1, 2, 5, 6, 9].map(igzipLevel)).toEqual([1, 2, 2, 3, 3]);
  });
});

describe('createCompressor', () => {
  const pathWithoutIgzip = { PATH: '/nonexistent' };

  it('uses zlib members when igzip is not installed, and writes gzip that decompresses to the input', async () => {
    const compressor = await createCompressor(job('auto'), { env: pathWithoutIgzip });
    expect(compressor.name).toBe('zlib-1');
    expect(gunzipSync(await compress(compressor, sql)).equals(sql)).toBe(true);
  });

  it('refuses an explicit igzip request when igzip is missing, naming the package', async () => {
    await expect(createCompressor(job('igzip'), { env: pathWithoutIgzip })).rejects.toThrow(/igzip .*isal/);
  });

  it('runs igzip from PATH at the mapped level and reports it as the compressor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-igzip-'));
    // A stand-in igzip that records its arguments and compresses with gzip: proves the spawn and the plumbing.
    await writeFile(join(dir, 'igzip'), `#!/bin/sh\necho "$@" > "${dir}/args"\nexec gzip -c\n`);
    await chmod(join(dir, 'igzip'), 0o755);
    const spawned: string[] = [];
    const compressor = await createCompressor(job('auto', 6), {
      env: { PATH: `${dir}:${process.env.PATH}` },
      onSpawn: (_c, tool) => spawned.push(tool),
    });
    expect(compressor.name).toBe('igzip-3');
    expect(spawned).toEqual(['igzip']);
    expect(gunzipSync(await compress(compressor, sql)).equals(sql)).toBe(true);
    expect((await readFile(join(dir, 'args'), 'utf8')).trim()).toBe('-3 -c');
  });

  it('fails the stage when igzip exits non-zero even though its output ended normally', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keepsake-igzip-'));
    await writeFile(join(dir, 'igzip'), '#!/bin/sh\ncat > /dev/null\necho "igzip: out of memory" >&2\nexit 3\n');
    await chmod(join(dir, 'igzip'), 0o755);
    const compressor = await createCompressor(job('igzip'), { env: { PATH: `${dir}:${process.env.PATH}` } });
    await expect(compress(compressor, sql)).rejects.toThrow(/igzip exited with code 3: igzip: out of memory/);
  });
});
