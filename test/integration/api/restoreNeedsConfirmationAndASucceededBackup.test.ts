import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordRestoreOutcome, markRestoreRunning } from '../../../functions/restores/restoreService.ts';
import { putBackupRecords } from '../../../functions/shared/repositories/backups.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { Restore } from '../../../types/restore.ts';
import { call } from '../../support/api.ts';
import { RESTORE_MACHINE, backupRecord, seedSource, startBackupApi, type BackupApi } from './backupApi.ts';

let api: BackupApi;
const clock = { table: undefined as never, now: () => new Date() };
beforeAll(async () => {
  api = await startBackupApi();
  Object.assign(clock, { table: api.table });
  await seedSource(api.table, 'prod');
  await seedSource(api.table, 'staging', { enabled: false });
  await putBackupRecords(api.table, [
    backupRecord({ id: 'good', sourceId: 'prod' }),
    backupRecord({ id: 'failed', sourceId: 'prod', status: 'failed', error: 'boom' }),
    backupRecord({ id: 'binned', sourceId: 'prod', trashedAt: new Date().toISOString() }),
  ]);
});
beforeEach(() => {
  api.sfn.reset();
  api.sfn.on(StartExecutionCommand).resolves({
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:keepsake-restore:x',
    startDate: new Date(),
  });
});

type Body = { restoreId?: string; error?: string; fields?: Record<string, string> };
const create = (body: unknown) => call<Body>(api.createRestore, { method: 'POST', resource: '/v1/restores', body });
const valid = {
  backupId: 'good',
  targetSourceId: 'staging',
  targetDatabase: 'shop_copy',
  confirmDatabase: 'shop_copy',
};

describe('starting a restore', () => {
  it('queues a restore (202), starts the Restore state machine under its id and records who asked', async () => {
    const response = await create(valid);

    expect(response.status).toBe(202);
    const restoreId = response.body.restoreId as string;
    const got = await call<Restore>(api.getRestore, {
      method: 'GET',
      resource: '/v1/restores/{id}',
      pathParameters: { id: restoreId },
    });
    expect(got.body).toEqual({
      id: restoreId,
      backupId: 'good',
      sourceId: 'prod',
      targetSourceId: 'staging',
      targetDatabase: 'shop_copy',
      status: 'queued',
      requestedBy: 'arn:aws:iam::123456789012:user/test',
      createdAt: expect.any(String),
      rollbackOnFailure: false,
    });
    expect(api.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: RESTORE_MACHINE,
      name: restoreId,
      input: JSON.stringify({ restoreId, backupId: 'good', targetSourceId: 'staging', targetDatabase: 'shop_copy' }),
    });
    const audit = await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: '/v1/audit' });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'restore.start', targetType: 'restore', targetId: restoreId }),
    );
  });

  it.each([
    ['a confirmation that differs', { ...valid, confirmDatabase: 'shop_copy2' }, 'confirmDatabase'],
    ['a confirmation in another case', { ...valid, confirmDatabase: 'SHOP_COPY' }, 'confirmDatabase'],
    ['no confirmation', { ...valid, confirmDatabase: undefined }, 'confirmDatabase'],
    ['an empty target database', { ...valid, targetDatabase: '', confirmDatabase: '' }, 'targetDatabase'],
    [
      'a target database over 64 characters',
      { ...valid, targetDatabase: 'd'.repeat(65), confirmDatabase: 'd'.repeat(65) },
      'targetDatabase',
    ],
    ['an unknown field', { ...valid, dropFirst: true }, 'dropFirst'],
  ])('answers 400 for %s, starting nothing', async (_name, body, field) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.fields).toHaveProperty(field);
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 409 for a backup that did not succeed or is in the trash, and 404 for unknown backups and targets', async () => {
    const failed = await create({ ...valid, backupId: 'failed' });
    expect(failed.status).toBe(409);
    expect(failed.body.error).toMatch(/is failed: only succeeded backups/);
    expect((await create({ ...valid, backupId: 'binned' })).status).toBe(409);
    expect(await create({ ...valid, backupId: 'ghost' })).toMatchObject({
      status: 404,
      body: { error: 'backup ghost not found' },
    });
    expect(await create({ ...valid, targetSourceId: 'ghost' })).toMatchObject({
      status: 404,
      body: { error: 'data source ghost not found' },
    });
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('removes the record and its audit event and answers 502 when the execution does not start', async () => {
    api.sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' }));
    const before = (
      await call<Page<Restore>>(api.listRestores, { method: 'GET', resource: '/v1/restores', query: { limit: '100' } })
    ).body.items.length;
    const elsewhere = { ...valid, targetDatabase: 'shop_unstarted', confirmDatabase: 'shop_unstarted' };

    const response = await create(elsewhere);

    expect(response.status).toBe(502);
    expect(response.body.error).toBe(
      'could not start the restore: Step Functions StartExecution failed (AccessDeniedException: Access denied)',
    );
    const after = await call<Page<Restore>>(api.listRestores, {
      method: 'GET',
      resource: '/v1/restores',
      query: { limit: '100' },
    });
    expect(after.body.items).toHaveLength(before);
    const attempted = api.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name;
    const audit = await call<Page<AuditEvent>>(api.audit, {
      method: 'GET',
      resource: '/v1/audit',
      query: { limit: '100' },
    });
    expect(audit.body.items.map((e) => e.targetId)).not.toContain(attempted);
    // The lock it took went with it: the same target can be restored into once Step Functions answers again.
    api.sfn.reset();
    api.sfn.on(StartExecutionCommand).resolves({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:keepsake-restore:y',
      startDate: new Date(),
    });
    expect((await create(elsewhere)).status).toBe(202);
  });

  it('answers 409 for a second restore into a database one is already restoring into, until that one ends', async () => {
    const target = { ...valid, targetDatabase: 'shop_locked', confirmDatabase: 'shop_locked' };
    const first = await create(target);
    expect(first.status).toBe(202);
    const second = await create(target);
    expect(second.status).toBe(409);
    expect(second.body.error).toBe(
      `a restore into database shop_locked of data source staging is already queued or running (${first.body.restoreId}): wait for it to end`,
    );
    // Another database of the same source is free.
    expect((await create({ ...target, targetDatabase: 'shop_other', confirmDatabase: 'shop_other' })).status).toBe(202);

    const id = first.body.restoreId as string;
    await markRestoreRunning(clock, id);
    await recordRestoreOutcome(clock, id, { status: 'succeeded', durationMs: 5 });
    expect((await create(target)).status).toBe(202);
  });
});

describe('listing restores', () => {
  it('lists newest first over pages, all or into one target, and records the state machine outcome', async () => {
    await seedSource(api.table, 'qa');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await create({
        ...valid,
        targetSourceId: i % 2 ? 'qa' : 'prod',
        targetDatabase: `db${i}`,
        confirmDatabase: `db${i}`,
      });
      ids.push(r.body.restoreId as string);
    }
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call<Page<Restore>>(api.listRestores, {
        method: 'GET',
        resource: '/v1/restores',
        query: { limit: '2', ...(cursor && { cursor }) },
      });
      all.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all.slice(0, 5)).toEqual([...ids].reverse());
    const intoQa = await call<Page<Restore>>(api.listRestores, {
      method: 'GET',
      resource: '/v1/restores',
      query: { targetSourceId: 'qa' },
    });
    expect(intoQa.body.items.map((r) => r.id)).toEqual([ids[3], ids[1]]);

    const id = ids[0] as string;
    expect(await markRestoreRunning(clock, id)).toMatchObject({ status: 'running', startedAt: expect.any(String) });
    const done = await recordRestoreOutcome(clock, id, {
      status: 'failed',
      error: 'ERROR 1064 at line 12',
      safetyBackupKey: 'prod/db0/safety.sql.gz',
    });
    expect(done).toMatchObject({
      status: 'failed',
      error: 'ERROR 1064 at line 12',
      safetyBackupKey: 'prod/db0/safety.sql.gz',
      durationMs: expect.any(Number),
    });
    expect(
      (await call<Restore>(api.getRestore, { method: 'GET', resource: '/v1/restores/{id}', pathParameters: { id } }))
        .body,
    ).toEqual(done);
    await expect(recordRestoreOutcome(clock, id, { status: 'succeeded', durationMs: 1 })).rejects.toMatchObject({
      statusCode: 409,
    });
  });

  it('answers 404 for an unknown restore and 400 for a bad cursor or target', async () => {
    expect(
      (await call(api.getRestore, { method: 'GET', resource: '/v1/restores/{id}', pathParameters: { id: 'nope' } }))
        .status,
    ).toBe(404);
    expect(
      (await call(api.listRestores, { method: 'GET', resource: '/v1/restores', query: { cursor: 'e30' } })).status,
    ).toBe(400);
    expect(
      (await call(api.listRestores, { method: 'GET', resource: '/v1/restores', query: { targetSourceId: 'x y' } }))
        .status,
    ).toBe(400);
  });
});
