import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepsake, OBJECT, startFakeApi, type FakeApi } from './fakeApi.ts';

let api: FakeApi;
let dir: string;
beforeAll(async () => {
  api = await startFakeApi();
  dir = await mkdtemp(join(tmpdir(), 'keepsake-download-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const OLD = 'what was there before\n';

describe('keepsake download onto a file that exists', () => {
  it('refuses without --force: exit 2, says how to go on, and downloads and writes nothing', async () => {
    const file = join(dir, 'kept.sql.gz');
    await writeFile(file, OLD);
    const result = await keepsake(api, ['download', 'b-1', '--out', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `keepsake: ${file} already exists: nothing downloaded (--force replaces it, --out names another file)\n`,
    );
    expect(result.stderr).not.toContain('EEXIST');
    expect(await readFile(file, 'utf8')).toBe(OLD);
    expect(api.requests.filter((r) => r.includes('download-url') || r.startsWith('GET /objects'))).toEqual([]);
    expect(await readdir(dir)).toEqual(['kept.sql.gz']);
  });

  it('replaces it with --force once the download is whole and its SHA-256 matches', async () => {
    const file = join(dir, 'forced.sql.gz');
    await writeFile(file, OLD);
    const result = await keepsake(api, ['download', 'b-1', '-o', file, '--force']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${file}  ${OBJECT.length} bytes`);
    expect(await readFile(file)).toEqual(OBJECT);
  });

  it('keeps the old file with --force when the download does not match its record, leaving no partial file', async () => {
    const file = join(dir, 'guarded.sql.gz');
    await writeFile(file, OLD);
    const result = await keepsake(api, ['download', 'b-corrupt', '-o', file, '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nothing saved: the download's SHA-256");
    expect(await readFile(file, 'utf8')).toBe(OLD);
    expect((await readdir(dir)).filter((name) => name.includes('guarded'))).toEqual(['guarded.sql.gz']);
  });

  it('writes a new file as before, with --json saying what was saved', async () => {
    const file = join(dir, 'new.sql.gz');
    const result = await keepsake(api, ['download', 'b-1', '--out', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      file,
      bytes: OBJECT.length,
      sha256: createHash('sha256').update(OBJECT).digest('hex'),
      backupId: 'b-1',
    });
  });
});
