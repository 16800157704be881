import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestedName } from '../../../scripts/cli/keepsake.ts';
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

describe('keepsake download without --out', () => {
  const NAME = 'demo (local MariaDB)-shop-2026-03-01T12-00-00Z.sql.gz';
  let cwd: string;
  let here: string;
  beforeAll(async () => {
    cwd = process.cwd();
    here = await mkdtemp(join(tmpdir(), 'keepsake-here-'));
    process.chdir(here);
  });
  afterAll(async () => {
    process.chdir(cwd);
    await rm(here, { recursive: true, force: true });
  });

  it("saves here under the API's name for it, the console's name", async () => {
    const result = await keepsake(api, ['download', 'b-1']);
    expect(result.code, result.stderr).toBe(0);
    expect(await readdir(here)).toEqual([NAME]);
    expect(await readFile(join(here, NAME))).toEqual(OBJECT);
  });

  it('refuses, once that name exists, like a named file: exit 2 and nothing written', async () => {
    const result = await keepsake(api, ['download', 'b-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${NAME} already exists: nothing downloaded`);
    expect(await readdir(here)).toEqual([NAME]);
  });
});

describe('the name a download is given', () => {
  it('is the bare file name of the Content-Disposition, its UTF-8 form first, never a path or a hidden file', () => {
    expect(suggestedName('attachment; filename="Shop-shop-2026-03-01T12-00-00Z.sql.gz"')).toBe(
      'Shop-shop-2026-03-01T12-00-00Z.sql.gz',
    );
    expect(suggestedName(`attachment; filename="Caf_-x.sql.gz"; filename*=UTF-8''Caf%C3%A9-x.sql.gz`)).toBe(
      'Café-x.sql.gz',
    );
    expect(suggestedName('attachment; filename="../../.bashrc"')).toBe('bashrc');
    expect(suggestedName(`attachment; filename*=UTF-8''..%2F..%2Fetc%2Fcron.d%2Fx`)).toBe('x');
    expect(suggestedName('attachment; filename=".."')).toBeUndefined();
    expect(suggestedName('attachment')).toBeUndefined();
    expect(suggestedName(null)).toBeUndefined();
  });
});
