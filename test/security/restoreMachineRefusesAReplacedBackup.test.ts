import { PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackupRecord, putBackupRecords, type BackupRecord } from '../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../functions/shared/repositories/transactions.ts';
import { getRestoreRecord, newRestorePut } from '../../functions/shared/repositories/restores.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { RESULT_TAGS } from '../../types/job.ts';
import type { Restore } from '../../types/restore.ts';
import { hostileDump, replaceKeepingTags, traces, type HostileDump } from '../support/hostileObjects.ts';
import { startLocalMachines, type LocalMachines } from '../support/localMachines.ts';
import {
  bucket,
  dropDatabases,
  getObjectBytes,
  putObjectBytes,
  snapshot,
  type DatabaseSnapshot,
} from '../support/runner.ts';
import { mariadb, services, testS3Client } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const DATABASE = `sec_machine_${process.pid}`;

/** The runner's log lines of one execution's tasks (local mode writes each task's stderr to RUNNER_LOG_DIR). */
async function runnerLines(executionName: string): Promise<Record<string, unknown>[]> {
  const dir = process.env.RUNNER_LOG_DIR ?? '';
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log'));
  const lines = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).flatMap((text) =>
    text.split('\n'),
  );
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.execution === 'string' && line.execution.endsWith(`:${executionName}`));
}

/**
 * Issue 17, item 2, through the Restore machine as synthesized and run locally (s3rver keeps no versions, so the
 * object is held to the ETag recorded when the backup was finalized): a backup object replaced in the bucket with
 * SQL that runs a shell command and creates a table fails the restore before the client ever starts.
 */
describe.runIf(services().mariadb !== null)('the Restore machine never runs a backup object that was replaced', () => {
  let machines: LocalMachines;
  let source: DataSource;
  let before: DatabaseSnapshot;
  /** The backup's object as the runner wrote it, kept before any test replaces it. */
  let written: Buffer;

  /** Queues a restore over the live database as the API does and runs the machine; nothing of `dump` may happen. */
  async function restoreOverLiveData(id: string, backupId: string, dump: HostileDump): Promise<Restore> {
    const record: Restore = {
      id,
      backupId,
      sourceId: source.id,
      targetSourceId: source.id,
      targetDatabase: DATABASE,
      status: 'queued',
      requestedBy: 'test',
      createdAt: new Date().toISOString(),
    };
    await transactNamedItems(machines.table, { restore: newRestorePut(machines.table, record) });
    const outcome = await machines.run(
      'Restore',
      { restoreId: id, backupId, targetSourceId: source.id, targetDatabase: DATABASE },
      id,
    );
    expect(outcome.ok).toBe(false);
    expect(await traces(dump)).toEqual({ markerCreated: false, tableCreated: false });
    expect(await snapshot(DATABASE)).toEqual(before);
    const lines = await runnerLines(id);
    expect(
      lines.some((line) => line.event === 'start' && line.mode === 'restore'),
      'the restore task ran',
    ).toBe(true);
    expect(
      lines.filter((line) => line.event === 'spawn' && line.tool === 'mysql'),
      'no client was started',
    ).toEqual([]);
    const after = await getRestoreRecord(machines.table, id);
    if (!after) throw new Error(`restore ${id} vanished`);
    expect(after.status).toBe('failed');
    return after;
  }

  beforeAll(async () => {
    machines = await startLocalMachines();
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE};
      CREATE TABLE ${DATABASE}.ledger (id INT PRIMARY KEY, amount DECIMAL(10,2));
      INSERT INTO ${DATABASE}.ledger VALUES (1, 10.00), (2, 20.50);`);
    source = await machines.createSource('Guarded', DATABASE, mariadb().password);
    const outcome = await machines.run('Backup', { dataSourceId: source.id, trigger: 'schedule' }, 'sec-backup');
    expect(outcome, outcome.ok ? '' : outcome.error.message).toMatchObject({ ok: true });
    before = await snapshot(DATABASE);
    const backup = await getBackupRecord(machines.table, 'sec-backup');
    if (!backup?.s3Key) throw new Error('the backup did not succeed');
    written = await getObjectBytes(backup.s3Key);
  });

  afterAll(async () => {
    await dropDatabases(DATABASE);
  });

  it('records the ETag of the object it finalized, and fails a restore of that backup once the object is replaced', async () => {
    const backup = await getBackupRecord(machines.table, 'sec-backup');
    if (!backup?.s3Key) throw new Error('the backup did not succeed');
    expect(backup.s3ETag).toMatch(/^"[^"]+"$/);
    const dump = hostileDump('machine');
    await replaceKeepingTags(backup.s3Key, dump.bytes);

    const restore = await restoreOverLiveData('sec-restore-replaced', backup.id, dump);
    expect(restore.error).toContain(
      `is no longer the object recorded at backup time: it was written again since (recorded ETag ${backup.s3ETag}`,
    );
  });

  it('fails on the checksum a restore of a backup recorded without its ETag (before they were kept) whose object was replaced', async () => {
    const backup = await getBackupRecord(machines.table, 'sec-backup');
    if (!backup?.s3Key || !backup.sha256) throw new Error('the backup did not succeed');
    // A record as written before versions and ETags were kept, of an object of its own that is then replaced.
    const key = backup.s3Key.replace(/\.sql\.gz$/, '_older.sql.gz');
    const {
      s3ETag: _etag,
      s3VersionId: _version,
      ...older
    } = { ...backup, id: 'sec-older', s3Key: key } satisfies BackupRecord;
    await putObjectBytes(key, written);
    await testS3Client().send(
      new PutObjectTaggingCommand({
        Bucket: bucket(),
        Key: key,
        Tagging: { TagSet: [{ Key: RESULT_TAGS.sha256, Value: backup.sha256 }] },
      }),
    );
    await putBackupRecords(machines.table, [older]);
    const dump = hostileDump('machine-older');
    await replaceKeepingTags(key, dump.bytes);

    const restore = await restoreOverLiveData('sec-restore-older', older.id, dump);
    expect(restore.error).toContain('SHA-256 mismatch');
  });
});
