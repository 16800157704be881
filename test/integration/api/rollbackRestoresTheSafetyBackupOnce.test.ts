import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { markRestoreRunning, recordRestoreOutcome } from '../../../functions/restores/restoreService.ts';
import { putBackupRecords, type BackupRecord } from '../../../functions/shared/repositories/backups.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { Restore, RestoreOutcome } from '../../../types/restore.ts';
import { call } from '../../support/api.ts';
import { RESTORE_MACHINE, backupRecord, seedSource, startBackupApi, type BackupApi } from './backupApi.ts';

let api: BackupApi;
const clock = { table: undefined as never, now: () => new Date() };
beforeAll(async () => {
  api = await startBackupApi();
  Object.assign(clock, { table: api.table });
  await seedSource(api.table, 'prod');
  await seedSource(api.table, 'staging');
  await putBackupRecords(api.table, [backupRecord({ id: 'good', sourceId: 'prod' })]);
});
beforeEach(() => {
  api.sfn.reset();
  api.sfn.on(StartExecutionCommand).resolves({
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:keepsake-restore:x',
    startDate: new Date(),
  });
});

type Body = { restoreId?: string; error?: string; fields?: Record<string, string> };
let n = 0;

/** A restore into a database of its own that ended with `outcome`, and its safety backup record (`safety`). */
async function given(
  outcome: RestoreOutcome['status'] | 'running',
  safety: Partial<BackupRecord> | 'none' = {},
): Promise<{ restore: Restore; safetyBackupId?: string }> {
  const database = `shop_${++n}`;
  const created = await call<Body>(api.createRestore, {
    method: 'POST',
    resource: '/v1/restores',
    body: { backupId: 'good', targetSourceId: 'staging', targetDatabase: database, confirmDatabase: database },
  });
  const id = created.body.restoreId as string;
  await markRestoreRunning(clock, id);
  const safetyBackupId = safety === 'none' ? undefined : `safety-of-${id}`;
  if (safetyBackupId) {
    await putBackupRecords(api.table, [
      backupRecord({
        id: safetyBackupId,
        sourceId: 'staging',
        database,
        trigger: 'safety',
        restoreId: id,
        ...(safety as Partial<BackupRecord>),
      }),
    ]);
  }
  const link = safetyBackupId ? { safetyBackupId, safetyBackupKey: `staging/${database}/safety.sql.gz` } : {};
  if (outcome === 'succeeded') await recordRestoreOutcome(clock, id, { status: 'succeeded', durationMs: 5, ...link });
  if (outcome === 'failed') await recordRestoreOutcome(clock, id, { status: 'failed', error: 'ERROR 1064', ...link });
  const restore = (await get(id)).body;
  return { restore, ...(safetyBackupId && { safetyBackupId }) };
}

const get = (id: string) =>
  call<Restore>(api.getRestore, { method: 'GET', resource: '/v1/restores/{id}', pathParameters: { id } });
const rollback = (id: string, body: unknown) =>
  call<Body>(api.rollbackRestore, {
    method: 'POST',
    resource: '/v1/restores/{id}/rollback',
    pathParameters: { id },
    body,
  });
const confirmed = (restore: Restore) => ({ confirmDatabase: restore.targetDatabase });

describe('rolling a restore back', () => {
  it('starts a restore of the safety backup into the same target and marks the original rolled back', async () => {
    const { restore, safetyBackupId } = await given('succeeded');
    api.sfn.reset();
    api.sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });

    const response = await rollback(restore.id, confirmed(restore));

    expect(response.status).toBe(202);
    const rollbackId = response.body.restoreId as string;
    expect((await get(rollbackId)).body).toMatchObject({
      backupId: safetyBackupId,
      sourceId: 'staging',
      targetSourceId: 'staging',
      targetDatabase: restore.targetDatabase,
      status: 'queued',
      rollbackOf: restore.id,
      rollbackOnFailure: false,
    });
    expect((await get(restore.id)).body.rolledBackBy).toBe(rollbackId);
    expect(api.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: RESTORE_MACHINE,
      name: rollbackId,
      input: JSON.stringify({
        restoreId: rollbackId,
        backupId: safetyBackupId,
        targetSourceId: 'staging',
        targetDatabase: restore.targetDatabase,
      }),
    });
    const audit = await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: '/v1/audit' });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'restore.rollback', targetType: 'restore', targetId: rollbackId }),
    );
  });

  it('rolls back a failed restore, and each restore once, naming the rollback that did it', async () => {
    const { restore } = await given('failed');
    const first = await rollback(restore.id, confirmed(restore));
    expect(first.status).toBe(202);
    await recordRestoreOutcome(clock, first.body.restoreId as string, { status: 'succeeded', durationMs: 1 });

    const second = await rollback(restore.id, confirmed(restore));

    expect(second.status).toBe(409);
    expect(second.body.error).toBe(
      `restore ${restore.id} was already rolled back by restore ${first.body.restoreId as string}`,
    );
  });

  it('lets one of two rollbacks racing past the checks through: the other is refused by the transaction', async () => {
    const { restore } = await given('succeeded');
    const started = api.sfn.commandCalls(StartExecutionCommand).length;
    const [a, b] = await Promise.all([
      rollback(restore.id, confirmed(restore)),
      rollback(restore.id, confirmed(restore)),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(started + 1);
  });

  it('answers 409 for a failed restore that was rolled back automatically', async () => {
    const { restore: failed } = await given('running');
    await recordRestoreOutcome(clock, failed.id, {
      status: 'failed',
      error: 'ERROR 1146',
      safetyBackupId: 'whichever',
      autoRollback: { status: 'succeeded', finishedAt: '2026-03-01T00:00:00.000Z' },
    });
    const response = await rollback(failed.id, confirmed(failed));
    expect(response.status).toBe(409);
    expect(response.body.error).toBe(
      `restore ${failed.id} was already rolled back automatically when it failed (2026-03-01T00:00:00.000Z): the target holds what it held before it`,
    );
  });

  it('answers 400 naming confirmDatabase when it does not repeat the target, and for unknown fields', async () => {
    const { restore } = await given('succeeded');
    const wrong = await rollback(restore.id, { confirmDatabase: restore.targetDatabase.toUpperCase() });
    expect(wrong).toMatchObject({
      status: 400,
      body: { fields: { confirmDatabase: "must repeat the restore's targetDatabase exactly" } },
    });
    expect((await rollback(restore.id, {})).body.fields).toHaveProperty('confirmDatabase');
    expect((await rollback(restore.id, { ...confirmed(restore), force: true })).body.fields).toHaveProperty('force');
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1); // the given restore's own
  });

  it('answers 404 for an unknown restore and 409 while the restore is queued or running', async () => {
    expect(await rollback('ghost', { confirmDatabase: 'x' })).toMatchObject({
      status: 404,
      body: { error: 'restore ghost not found' },
    });
    const { restore } = await given('running');
    const response = await rollback(restore.id, confirmed(restore));
    expect(response.status).toBe(409);
    expect(response.body.error).toBe(
      `restore ${restore.id} is running: only a restore that succeeded or failed can be rolled back`,
    );
  });

  it('answers 409 saying there is nothing to roll back to when the target did not exist before', async () => {
    const { restore } = await given('succeeded', 'none');
    const response = await rollback(restore.id, confirmed(restore));
    expect(response.status).toBe(409);
    expect(response.body.error).toBe(
      `restore ${restore.id} has no safety backup: database ${restore.targetDatabase} did not exist before it, so there is nothing to roll back to; drop the database to undo the restore`,
    );
  });

  it.each([
    ['in the trash', { trashedAt: new Date().toISOString() }, 'is in the trash: restore it from the trash first'],
    ['failed', { status: 'failed', error: 'boom' }, 'is failed'],
    ['without its object', { objectMissingAt: '2026-03-01T00:00:00.000Z' }, 'has no object'],
  ] as const)('answers 409 when the safety backup is %s, starting nothing', async (_name, safety, why) => {
    const { restore, safetyBackupId } = await given('succeeded', safety);
    api.sfn.reset();
    const response = await rollback(restore.id, confirmed(restore));
    expect(response.status).toBe(409);
    expect(response.body.error).toContain(`its safety backup ${safetyBackupId as string} ${why}`);
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect((await get(restore.id)).body.rolledBackBy).toBeUndefined();
  });

  it('leaves the original unmarked when the rollback execution does not start, so it can be tried again', async () => {
    const { restore } = await given('succeeded');
    api.sfn.reset();
    api.sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Throttled'), { name: 'ThrottlingException' }));
    expect((await rollback(restore.id, confirmed(restore))).status).toBe(502);
    expect((await get(restore.id)).body.rolledBackBy).toBeUndefined();
    api.sfn.reset();
    api.sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    expect((await rollback(restore.id, confirmed(restore))).status).toBe(202);
  });
});
