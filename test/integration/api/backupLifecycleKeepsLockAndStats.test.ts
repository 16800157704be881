import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { markBackupRunning, recordBackupOutcome } from '../../../functions/backups/runService.ts';
import { keys } from '../../../functions/shared/keys.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DownloadUrlResponse } from '../../../types/backupApi.ts';
import type { StatsResponse } from '../../../types/stats.ts';
import { call } from '../../support/api.ts';
import { testS3Client } from '../../support/services.ts';
import {
  BACKUP,
  BACKUPS,
  BACKUP_MACHINE,
  SOURCE_BACKUPS,
  VERIFY_MACHINE,
  seedSource,
  startBackupApi,
  type BackupApi,
} from './backupApi.ts';

let api: BackupApi;
const s3 = () => testS3Client();
const clock = { table: undefined as never, now: () => new Date() };

beforeAll(async () => {
  api = await startBackupApi();
  Object.assign(clock, { table: api.table });
  for (const id of ['life', 'dl', 'cancel', 'trash', 'verify', 'verify-undo']) await seedSource(api.table, id);
});
beforeEach(() => {
  api.sfn.reset();
  api.sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  api.sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
});

type Body = Record<string, unknown> & { error?: string };
const trigger = async (sourceId: string) => {
  const response = await call<{ backupId: string }>(api.trigger, {
    method: 'POST',
    resource: SOURCE_BACKUPS,
    pathParameters: { id: sourceId },
  });
  expect(response.status).toBe(202);
  return response.body.backupId;
};
const post = (handler: BackupApi['trash'], id: string, resource: string) =>
  call<Backup & Body>(handler, { method: 'POST', resource, pathParameters: { id } });
const get = (id: string) => call<Backup & Body>(api.get, { method: 'GET', resource: BACKUP, pathParameters: { id } });
const stats = async () => (await call<StatsResponse>(api.stats, { method: 'GET', resource: '/v1/stats' })).body;
const lockOf = async (sourceId: string) =>
  (await api.table.client.send(new GetCommand({ TableName: api.table.tableName, Key: keys.runningLock(sourceId) })))
    .Item;
const auditActions = async (targetId: string) =>
  (
    await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: '/v1/audit', query: { limit: '100' } })
  ).body.items
    .filter((e) => e.targetId === targetId)
    .map((e) => e.action);

/** Runs a triggered backup to success as the state machine will, with an object of `body` at its key. */
async function succeed(
  sourceId: string,
  body: Buffer = randomBytes(2048),
): Promise<{ id: string; key: string; body: Buffer }> {
  const id = await trigger(sourceId);
  const key = `${sourceId}/shop/${id}.sql.gz`;
  await s3().send(new PutObjectCommand({ Bucket: api.bucket, Key: key, Body: body }));
  await markBackupRunning(clock, { backupId: id, dataSourceId: sourceId, trigger: 'api' });
  await recordBackupOutcome(clock, {
    backupId: id,
    outcome: {
      status: 'succeeded',
      s3Key: key,
      compressedBytes: body.length,
      uncompressedBytes: body.length * 4,
      sha256: 'b'.repeat(64),
      tables: 7,
      durationMs: 1234,
    },
  });
  return { id, key, body };
}

describe('a backup from trigger to outcome', () => {
  it('runs queued → running → succeeded; finalizing releases the lock and updates the counters and stored bytes', async () => {
    const before = await stats();
    const id = await trigger('life');
    const running = await markBackupRunning(clock, {
      backupId: id,
      dataSourceId: 'life',
      trigger: 'api',
      executionArn: 'arn:x',
    });
    expect(running).toMatchObject({ id, status: 'running', startedAt: expect.any(String) });
    expect(await markBackupRunning(clock, { backupId: id, dataSourceId: 'life', trigger: 'api' })).toEqual(running);
    expect(await lockOf('life')).toMatchObject({ backupId: id });

    const done = await recordBackupOutcome(clock, {
      backupId: id,
      outcome: {
        status: 'succeeded',
        s3Key: 'life/shop/x.sql.gz',
        compressedBytes: 5000,
        uncompressedBytes: 20000,
        sha256: 'c'.repeat(64),
        tables: 12,
        serverVersion: '10.11.6-MariaDB',
        durationMs: 4321,
      },
    });

    expect(done).toMatchObject({
      status: 'succeeded',
      compressedBytes: 5000,
      tables: 12,
      durationMs: 4321,
      finishedAt: expect.any(String),
    });
    expect((await get(id)).body).toEqual(done);
    expect(await lockOf('life')).toBeUndefined();
    const after = await stats();
    expect(after.counts.last24h.queued - before.counts.last24h.queued).toBe(1);
    expect(after.counts.last24h.running - before.counts.last24h.running).toBe(1);
    expect(after.counts.last24h.succeeded - before.counts.last24h.succeeded).toBe(1);
    expect(after.sources.find((s) => s.sourceId === 'life')).toEqual({
      sourceId: 'life',
      storedBytes: 5000,
      storedBackups: 1,
      lastBackup: { backupId: id, status: 'succeeded', finishedAt: done.finishedAt, compressedBytes: 5000 },
      lastSucceededAt: done.finishedAt,
    });
    expect(after.storedBytes - before.storedBytes).toBe(5000);
    // A retried finalize changes nothing; a contradicting one is refused.
    expect(await recordBackupOutcome(clock, { backupId: id, outcome: done as never })).toEqual(done);
    await expect(
      recordBackupOutcome(clock, { backupId: id, outcome: { status: 'failed', error: 'late' } }),
    ).rejects.toMatchObject({ statusCode: 409 });
    expect((await stats()).counts.last24h.succeeded).toBe(after.counts.last24h.succeeded);

    // The lock is free: the next trigger is accepted.
    const next = await trigger('life');
    await recordBackupOutcome(clock, {
      backupId: next,
      outcome: { status: 'failed', error: 'mysqldump: Got error: 2013: Lost connection' },
    });
    const failed = (await get(next)).body;
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'mysqldump: Got error: 2013: Lost connection',
      durationMs: expect.any(Number),
    });
    const final = await stats();
    expect(final.failuresLast7d - after.failuresLast7d).toBe(1);
    expect(final.recentFailures[0]?.id).toBe(next);
    expect(final.sources.find((s) => s.sourceId === 'life')).toMatchObject({
      storedBytes: 5000,
      storedBackups: 1,
      lastBackup: { backupId: next, status: 'failed' },
    });
    expect(
      (
        await call<Page<Backup>>(api.list, {
          method: 'GET',
          resource: BACKUPS,
          query: { sourceId: 'life', status: 'failed' },
        })
      ).body.items.map((b) => b.id),
    ).toEqual([next]);
  });

  it('records a scheduled run the API never queued, taking the lock, and refuses one while another runs', async () => {
    await seedSource(api.table, 'nightly');
    const run = await markBackupRunning(clock, {
      backupId: 'sched-1',
      dataSourceId: 'nightly',
      trigger: 'schedule',
      scheduleId: 'sch-1',
    });
    expect(run).toMatchObject({
      id: 'sched-1',
      status: 'running',
      trigger: 'schedule',
      scheduleId: 'sch-1',
      database: 'shop',
    });
    expect(await lockOf('nightly')).toMatchObject({ backupId: 'sched-1' });
    await expect(
      markBackupRunning(clock, { backupId: 'sched-2', dataSourceId: 'nightly', trigger: 'schedule' }),
    ).rejects.toMatchObject({ statusCode: 409 });
    expect(
      (await call(api.trigger, { method: 'POST', resource: SOURCE_BACKUPS, pathParameters: { id: 'nightly' } })).status,
    ).toBe(409);
    // An API backup whose trigger was undone does not come back to life.
    await expect(
      markBackupRunning(clock, { backupId: 'withdrawn', dataSourceId: 'nightly', trigger: 'api' }),
    ).rejects.toMatchObject({ statusCode: 409 });
  });
});

describe('download-url', () => {
  it('presigns a 5-minute GET of a succeeded backup whose bytes are the object', async () => {
    const { id, body, key } = await succeed('dl');
    const before = Date.now();

    const response = await call<DownloadUrlResponse>(api.downloadUrl, {
      method: 'GET',
      resource: `${BACKUP}/download-url`,
      pathParameters: { id },
    });

    expect(response.status).toBe(200);
    const url = new URL(response.body.url);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.pathname).toBe(`/${api.bucket}/${key}`);
    const expiresIn = Date.parse(response.body.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(295_000);
    expect(expiresIn).toBeLessThanOrEqual(301_000);
    const fetched = await fetch(response.body.url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(body)).toBe(true);
    expect(await auditActions(id)).toContain('backup.download');
  });

  it('answers 409 for a backup that has not succeeded and 404 for an unknown one', async () => {
    const queued = await trigger('dl');
    const refused = await call<Body>(api.downloadUrl, {
      method: 'GET',
      resource: `${BACKUP}/download-url`,
      pathParameters: { id: queued },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/is queued: only succeeded backups can be downloaded/);
    await recordBackupOutcome(clock, { backupId: queued, outcome: { status: 'failed', error: 'boom' } });
    expect(
      (
        await call(api.downloadUrl, {
          method: 'GET',
          resource: `${BACKUP}/download-url`,
          pathParameters: { id: queued },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await call(api.downloadUrl, {
          method: 'GET',
          resource: `${BACKUP}/download-url`,
          pathParameters: { id: 'nope' },
        })
      ).status,
    ).toBe(404);
  });
});

describe('cancel', () => {
  it('stops the execution named after the backup, marks it cancelled and frees the source', async () => {
    const id = await trigger('cancel');

    const response = await post(api.cancel, id, `${BACKUP}/cancel`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id,
      status: 'cancelled',
      error: 'cancelled by arn:aws:iam::123456789012:user/test',
      finishedAt: expect.any(String),
    });
    expect(api.sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({
      executionArn: `${BACKUP_MACHINE.replace(':stateMachine:', ':execution:')}:${id}`,
    });
    expect(await lockOf('cancel')).toBeUndefined();
    expect((await auditActions(id)).sort()).toEqual(['backup.cancel', 'backup.trigger']);
    expect((await post(api.cancel, id, `${BACKUP}/cancel`)).status).toBe(409);
    expect((await stats()).sources.find((s) => s.sourceId === 'cancel')?.lastBackup).toMatchObject({
      backupId: id,
      status: 'cancelled',
    });
  });

  it('changes nothing and answers 502 when Step Functions refuses, but cancels one whose execution is gone', async () => {
    const id = await trigger('cancel');
    api.sfn
      .on(StopExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const refused = await post(api.cancel, id, `${BACKUP}/cancel`);
    expect(refused.status).toBe(502);
    expect(refused.body.error).toBe(
      'could not cancel the backup: Step Functions StopExecution failed (ThrottlingException: Rate exceeded)',
    );
    expect((await get(id)).body.status).toBe('queued');
    expect(await lockOf('cancel')).toMatchObject({ backupId: id });

    api.sfn
      .on(StopExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Execution does not exist'), { name: 'ExecutionDoesNotExist' }));
    expect((await post(api.cancel, id, `${BACKUP}/cancel`)).body.status).toBe('cancelled');
    expect(await lockOf('cancel')).toBeUndefined();
  });
});

describe('verify', () => {
  it('starts the Verify state machine with the backup id (202) only for a succeeded backup', async () => {
    const { id } = await succeed('verify');
    const response = await call<{ backupId: string; executionArn: string }>(api.verify, {
      method: 'POST',
      resource: `${BACKUP}/verify`,
      pathParameters: { id },
    });
    expect(response.status).toBe(202);
    const start = api.sfn.commandCalls(StartExecutionCommand).at(-1)?.args[0].input;
    expect(start).toMatchObject({ stateMachineArn: VERIFY_MACHINE, input: JSON.stringify({ backupId: id }) });
    expect(start?.name).toMatch(new RegExp(`^verify-[0-9a-z]+-${id}$`));
    expect(response.body).toEqual({
      backupId: id,
      executionArn: expect.stringContaining(':execution:keepsake-verify:verify-'),
    });
    expect(await auditActions(id)).toContain('backup.verify');

    const queued = await trigger('verify');
    expect((await post(api.verify, queued, `${BACKUP}/verify`)).status).toBe(409);
  });

  it('answers 502 and removes its audit event when the execution does not start', async () => {
    const { id } = await succeed('verify-undo');
    api.sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('State machine does not exist'), { name: 'StateMachineDoesNotExist' }));
    const response = await post(api.verify, id, `${BACKUP}/verify`);
    expect(response.status).toBe(502);
    expect(response.body.error).toMatch(/StateMachineDoesNotExist/);
    expect(await auditActions(id)).not.toContain('backup.verify');
  });
});

describe('trash, untrash and delete', () => {
  it('moves a finished backup out of the lists and back, and deletes it (object too) only from the trash', async () => {
    const { id, key, body } = await succeed('trash');
    const listed = async () =>
      (
        await call<Page<Backup>>(api.list, { method: 'GET', resource: BACKUPS, query: { sourceId: 'trash' } })
      ).body.items.map((b) => b.id);
    const inTrash = async () =>
      (
        await call<Page<Backup>>(api.listTrash, { method: 'GET', resource: '/v1/trash', query: { sourceId: 'trash' } })
      ).body.items.map((b) => b.id);
    const storedBefore = (await stats()).sources.find((s) => s.sourceId === 'trash');
    expect(storedBefore).toMatchObject({ storedBytes: body.length, storedBackups: 1 });

    const notInTrash = await call<Body>(api.remove, { method: 'DELETE', resource: BACKUP, pathParameters: { id } });
    expect(notInTrash.status).toBe(409);
    expect(notInTrash.body.error).toMatch(/move it to the trash before deleting it/);

    const trashed = await post(api.trash, id, `${BACKUP}/trash`);
    expect(trashed.status).toBe(200);
    expect(trashed.body.trashedAt).toEqual(expect.any(String));
    expect(await listed()).not.toContain(id);
    expect(await inTrash()).toEqual([id]);
    expect(
      (
        await call<Page<Backup>>(api.list, {
          method: 'GET',
          resource: BACKUPS,
          query: { status: 'succeeded', sourceId: 'trash' },
        })
      ).body.items,
    ).toEqual([]);
    expect((await post(api.trash, id, `${BACKUP}/trash`)).status).toBe(409);
    expect(
      (await call(api.downloadUrl, { method: 'GET', resource: `${BACKUP}/download-url`, pathParameters: { id } }))
        .status,
    ).toBe(409);

    const untrashed = await post(api.untrash, id, `${BACKUP}/untrash`);
    expect(untrashed.status).toBe(200);
    expect(untrashed.body.trashedAt).toBeUndefined();
    expect(await listed()).toEqual([id]);
    expect(await inTrash()).toEqual([]);
    expect((await post(api.untrash, id, `${BACKUP}/untrash`)).status).toBe(409);

    await post(api.trash, id, `${BACKUP}/trash`);
    const deleted = await call(api.remove, { method: 'DELETE', resource: BACKUP, pathParameters: { id } });
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect((await get(id)).status).toBe(404);
    expect(await inTrash()).toEqual([]);
    await expect(s3().send(new HeadObjectCommand({ Bucket: api.bucket, Key: key }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    expect((await stats()).sources.find((s) => s.sourceId === 'trash')).toMatchObject({
      storedBytes: 0,
      storedBackups: 0,
    });
    expect((await auditActions(id)).sort()).toEqual([
      'backup.delete',
      'backup.trash',
      'backup.trash',
      'backup.trigger',
      'backup.untrash',
    ]);
    expect((await call(api.remove, { method: 'DELETE', resource: BACKUP, pathParameters: { id } })).status).toBe(404);
  });

  it('refuses to trash a queued or running backup', async () => {
    await seedSource(api.table, 'busy');
    const id = await trigger('busy');
    const refused = await post(api.trash, id, `${BACKUP}/trash`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/is queued: only finished backups/);
  });
});
