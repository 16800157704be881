import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupResult } from '../../types/job.ts';
import { runBackup } from '../../containers/backup/src/backup.ts';
import { runRestore } from '../../containers/backup/src/restore.ts';
import { jobEnv, mariadb, testS3Client } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';
import {
  backupJob,
  baseTables,
  bucket,
  dropDatabases,
  expectBackupKey,
  getObjectBytes,
  ident,
  loadTrickyFixture,
  recreateDatabase,
  restoreJob,
  rows,
  sha256,
  snapshot,
  type DatabaseSnapshot,
} from '../support/runner.ts';

const SOURCE = 'roundtrip_tricky';
const RESTORED = 'roundtrip restored-1';
const STOCK = 'roundtrip_stock';
const REWRITTEN = 'roundtrip rewritten`definers';
const ZLIB = 'roundtrip_zlib';
const SOURCE_ID = 'roundtrip-src';

const ALL_BYTES_HEX = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  .toString('hex')
  .toUpperCase();
const EMOJI_TEXT = 'Emoji 😀🎉👩‍👩‍👧‍👦 and 𝄞 and 𠜎𠜱';

/** Values read straight from a database, so that a restore which loses them fails even if checksums agreed. */
async function spotCheck(database: string): Promise<void> {
  const db = ident(database);
  const [allBytes, reversed, singles, emoji, nullVsEmpty, amounts, times, json] = await Promise.all([
    rootSql(`SELECT HEX(data) FROM ${db}.blobs WHERE id = 1`),
    rootSql(`SELECT HEX(data) FROM ${db}.blobs WHERE id = 4`),
    rootSql(`SELECT COUNT(*), GROUP_CONCAT(HEX(byte) ORDER BY byte_value SEPARATOR '') FROM ${db}.single_bytes`),
    rootSql(`SELECT HEX(body) FROM ${db}.texts WHERE id = 1`),
    rootSql(
      `SELECT id, body IS NULL, body = '', legacy IS NULL, legacy = '' FROM ${db}.texts WHERE id IN (5, 6, 7) ORDER BY id`,
    ),
    rootSql(`SELECT amount FROM ${db}.edges ORDER BY id`),
    rootSql(`SELECT at, span, stamp FROM ${db}.edges WHERE id IN (1, 2) ORDER BY id`),
    rootSql(`SELECT JSON_VALUE(doc, '$.name'), doc_name, doc_size FROM ${db}.documents WHERE id = 1`),
  ]);
  expect(allBytes.trim()).toBe(ALL_BYTES_HEX);
  expect(reversed.trim()).toBe(Buffer.from(ALL_BYTES_HEX, 'hex').reverse().toString('hex').toUpperCase());
  expect(rows(singles)).toEqual([['256', ALL_BYTES_HEX]]);
  expect(emoji.trim()).toBe(Buffer.from(EMOJI_TEXT, 'utf8').toString('hex').toUpperCase());
  // NULL, '' and 'NULL': `body IS NULL`, `body = ''` (NULL when the value is NULL).
  expect(rows(nullVsEmpty)).toEqual([
    ['5', '1', 'NULL', '1', 'NULL'],
    ['6', '0', '1', '0', '1'],
    ['7', '0', '0', '0', '0'],
  ]);
  expect(rows(amounts).map(([a]) => a)).toEqual([
    '99999999999999999999999999999999999.999999999999999999999999999999',
    '-99999999999999999999999999999999999.999999999999999999999999999999',
    '0.000000000000000000000000000001',
    '0.000000000000000000000000000000',
  ]);
  const utcTimes = await rootSql(
    `SET time_zone = '+00:00'; SELECT at, span, stamp FROM ${db}.edges WHERE id IN (1, 2) ORDER BY id`,
  );
  expect(times).not.toBe('');
  expect(rows(utcTimes)).toEqual([
    ['9999-12-31 23:59:59.999999', '838:59:59.000000', '2038-01-19 03:14:07.999999'],
    ['1000-01-01 00:00:00.000000', '-838:59:59.000000', '1970-01-01 00:00:01.000000'],
  ]);
  expect(rows(json)).toEqual([['Zoë 😀', 'Zoë 😀', expect.stringMatching(/^\d+$/)]]);
}

/** Pipes bytes through a shell command and resolves with its exit code and stderr. */
function shell(script: string, args: string[], input: Buffer): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'stock-restore', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

describe('runner round trip of a database full of what breaks naive dumps', () => {
  let source: DatabaseSnapshot;
  let backup: BackupResult;
  let before: Date;
  let after: Date;
  let objectBytes: Buffer;

  beforeAll(async () => {
    await dropDatabases(RESTORED, STOCK, REWRITTEN, ZLIB);
    await loadTrickyFixture(SOURCE);
    source = await snapshot(SOURCE);
    before = new Date();
    backup = await runBackup(backupJob(SOURCE, { sourceId: SOURCE_ID }), { env: jobEnv() });
    after = new Date();
    objectBytes = await getObjectBytes(backup.key);
  });

  afterAll(async () => {
    await dropDatabases(SOURCE, RESTORED, STOCK, REWRITTEN, ZLIB);
  });

  it('starts from a fixture that really holds every hard case', async () => {
    expect(Object.keys(source.checksums).sort()).toEqual(
      ['audit', 'blobs', 'documents', 'edges', 'empty_table', 'select', 'single_bytes', 'texts', 'we`ird'].sort(),
    );
    // The procedure call fired the trigger: one audit row, and `order` computed by the trigger.
    expect(source.rowCounts).toMatchObject({ audit: 1, select: 3, single_bytes: 256, empty_table: 0, 'we`ird': 3 });
    expect(rows(await rootSql(`SELECT \`order\` FROM ${ident(SOURCE)}.\`select\` WHERE \`from\` = 'gamma'`))).toEqual([
      ['70'],
    ]);
    expect(source.objects.views.map(([name]) => name)).toEqual(['select view']);
    expect(source.objects.routines.map(([name, type]) => `${type} ${name}`)).toEqual([
      'PROCEDURE add select',
      'FUNCTION byte_count',
    ]);
    expect(source.objects.triggers.map(([name]) => name)).toEqual(['select_bi']);
    expect(source.objects.events.map(([name]) => name)).toEqual(['nightly cleanup']);
    expect(Object.values(source.definers)).toHaveLength(5);
    expect(new Set(Object.values(source.definers))).toEqual(new Set(['root@localhost']));
    // The view's definition names its schema: the snapshot must have normalised it away.
    expect(source.objects.views[0]?.[1]).toContain('`<schema>`.');
    await spotCheck(SOURCE);
  });

  it('reports a result that matches the stored object', async () => {
    expect(backup.ok).toBe(true);
    expect(backup.mode).toBe('backup');
    expect(backup.bucket).toBe(bucket());
    expectBackupKey(backup.key, SOURCE_ID, SOURCE, before, after);
    expect(backup.tables).toBe((await baseTables(SOURCE)).length);
    expect(backup.tables).toBe(9);
    expect(backup.sha256).toBe(sha256(objectBytes));
    expect(backup.compressedBytes).toBe(objectBytes.length);
    const sql = gunzipSync(objectBytes);
    expect(backup.uncompressedBytes).toBe(sql.length);
    expect(sql.toString('utf8')).toMatch(/-- Dump completed[^\n]*\n?$/);
    expect(backup.serverVersion).toMatch(/MariaDB/);
    const s3 = testS3Client();
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket(), Key: backup.key }));
    expect(tags.TagSet).toContainEqual({ Key: 'keepsake-sha256', Value: backup.sha256 });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket(), Key: backup.key }));
    expect(head.ContentLength).toBe(objectBytes.length);
    expect(head.Metadata).toMatchObject({
      'keepsake-source': SOURCE_ID,
      'keepsake-database': SOURCE,
      'keepsake-engine': 'mariadb',
    });
  });

  it('restores with runRestore into a new database that matches table for table and object for object', async () => {
    const result = await runRestore(restoreJob(RESTORED, { key: backup.key, expectedSha256: backup.sha256 }), {
      env: jobEnv(),
    });
    expect(result).toMatchObject({
      ok: true,
      mode: 'restore',
      key: backup.key,
      targetDatabase: RESTORED,
      sha256: backup.sha256,
      compressedBytes: backup.compressedBytes,
      uncompressedBytes: backup.uncompressedBytes,
    });
    const restored = await snapshot(RESTORED);
    expect(restored.checksums).toEqual(source.checksums);
    expect(restored.rowCounts).toEqual(source.rowCounts);
    expect(restored.createTables).toEqual(source.createTables);
    expect(restored.objects).toEqual(source.objects);
    expect(restored.definers).toEqual(source.definers);
    await spotCheck(RESTORED);
  });

  it('restores with nothing but stock gunzip and the mariadb client (no lock-in)', async () => {
    await recreateDatabase(STOCK);
    const { socket } = mariadb();
    const { code, stderr } = await shell(
      'set -o pipefail; gunzip -c | mariadb --no-defaults --socket="$1" -uroot "$2"',
      [socket, STOCK],
      objectBytes,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const stock = await snapshot(STOCK);
    expect(stock.checksums).toEqual(source.checksums);
    expect(stock.rowCounts).toEqual(source.rowCounts);
    expect(stock.createTables).toEqual(source.createTables);
    expect(stock.objects).toEqual(source.objects);
    expect(stock.definers).toEqual(source.definers);
    await spotCheck(STOCK);
  });

  it('rewrites every DEFINER to the restoring user when asked, and nothing else', async () => {
    const job = restoreJob(REWRITTEN, { key: backup.key, expectedSha256: backup.sha256, rewriteDefiners: true });
    await runRestore(job, { env: jobEnv() });
    const rewritten = await snapshot(REWRITTEN);
    expect(Object.keys(rewritten.definers).sort()).toEqual(Object.keys(source.definers).sort());
    for (const [object, definer] of Object.entries(rewritten.definers)) {
      expect(`${object}: ${definer}`).toBe(`${object}: ${mariadb().user}@%`);
    }
    // Data lines are never rewritten: the texts row that merely looks like a DEFINER clause survives.
    expect(rewritten.checksums).toEqual(source.checksums);
    expect(rewritten.createTables).toEqual(source.createTables);
    expect(rewritten.objects).toEqual(source.objects);
    await spotCheck(REWRITTEN);
  });

  it('round-trips the same way with the in-process zlib compressor (the igzip-less path)', async () => {
    const zlib = await runBackup(
      backupJob(SOURCE, { sourceId: SOURCE_ID, key: `${SOURCE_ID}/zlib.sql.gz`, compressor: 'zlib' }),
      { env: jobEnv() },
    );
    const bytes = await getObjectBytes(zlib.key);
    expect(zlib.sha256).toBe(sha256(bytes));
    expect(gunzipSync(bytes).length).toBe(zlib.uncompressedBytes);
    await runRestore(restoreJob(ZLIB, { key: zlib.key, expectedSha256: zlib.sha256 }), { env: jobEnv() });
    const restored = await snapshot(ZLIB);
    expect(restored.checksums).toEqual(source.checksums);
    expect(restored.objects).toEqual(source.objects);
  });
});
