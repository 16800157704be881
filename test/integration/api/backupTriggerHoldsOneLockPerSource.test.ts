import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../functions/shared/keys.ts';
import type { Page } from '../../../types/api.ts';
import type { AuditEvent } from '../../../types/audit.ts';
import type { Backup } from '../../../types/backup.ts';
import { call } from '../../support/api.ts';
import { BACKUP, BACKUP_MACHINE, SOURCE_BACKUPS, seedSource, startBackupApi, type BackupApi } from './backupApi.ts';

let api: BackupApi;
beforeAll(async () => {
  api = await startBackupApi();
  await seedSource(api.table, 'shop');
  await seedSource(api.table, 'parallel');
  await seedSource(api.table, 'idem');
  await seedSource(api.table, 'off', { enabled: false });
  await seedSource(api.table, 'flaky');
  await seedSource(api.table, 'keys');
});
beforeEach(() => {
  api.sfn.reset();
  api.sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
});

const trigger = (sourceId: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  call<{ backupId?: string; error?: string; fields?: Record<string, string> }>(api.trigger, {
    method: 'POST',
    resource: SOURCE_BACKUPS,
    pathParameters: { id: sourceId },
    ...(options.body !== undefined && { body: options.body }),
    ...(options.headers && { headers: options.headers }),
  });

const lockOf = async (sourceId: string) =>
  (await api.table.client.send(new GetCommand({ TableName: api.table.tableName, Key: keys.runningLock(sourceId) })))
    .Item;

describe('triggering a backup', () => {
  it('answers 202 with the id of a queued backup, takes the lock and starts the Backup state machine under that id', async () => {
    const response = await trigger('shop', { body: { trigger: 'manual' } });

    expect(response.status).toBe(202);
    const backupId = response.body.backupId as string;
    expect(backupId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await call<Backup>(api.get, { method: 'GET', resource: BACKUP, pathParameters: { id: backupId } });
    expect(got.body).toEqual({
      id: backupId,
      sourceId: 'shop',
      database: 'shop',
      status: 'queued',
      trigger: 'manual',
      createdAt: expect.any(String),
    });
    expect(await lockOf('shop')).toMatchObject({ backupId });
    const starts = api.sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input).toEqual({
      stateMachineArn: BACKUP_MACHINE,
      name: backupId,
      input: JSON.stringify({ dataSourceId: 'shop', backupId, trigger: 'manual' }),
    });
    const audit = await call<Page<AuditEvent>>(api.audit, { method: 'GET', resource: '/v1/audit' });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'backup.trigger',
        targetType: 'backup',
        targetId: backupId,
        principal: 'arn:aws:iam::123456789012:user/test',
      }),
    );
  });

  it('defaults the trigger to api when there is no body', async () => {
    await seedSource(api.table, 'nobody');
    const response = await trigger('nobody');
    expect(response.status).toBe(202);
    expect(JSON.parse(api.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toMatchObject({
      trigger: 'api',
    });
  });

  it('lets exactly one of two concurrent triggers of a source win; the other gets 409 naming the running backup', async () => {
    const [a, b] = await Promise.all([trigger('parallel'), trigger('parallel')]);

    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
    const winner = a.status === 202 ? a : b;
    const loser = a.status === 202 ? b : a;
    expect(loser.body.error).toMatch(/already has a backup queued or running/);
    expect(loser.body.error).toContain(winner.body.backupId);
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    // And while it runs, later triggers are refused too.
    expect((await trigger('parallel')).status).toBe(409);
  });

  it('with an Idempotency-Key, answers a repeat (even a concurrent one) with the same backup and starts one execution', async () => {
    const headers = { 'Idempotency-Key': 'deploy-4711' };
    const [first, concurrent] = await Promise.all([trigger('idem', { headers }), trigger('idem', { headers })]);
    const again = await trigger('idem', { headers });

    expect(first.status).toBe(202);
    expect(concurrent).toMatchObject({ status: 202, body: { backupId: first.body.backupId } });
    expect(again).toMatchObject({ status: 202, body: { backupId: first.body.backupId } });
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    // The key is bound to the source it was used for.
    const reused = await trigger('keys', { headers });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatch(/Idempotency-Key was already used/);
  });

  it('refuses a disabled source with 409 and an unknown one with 404, writing nothing', async () => {
    const disabled = await trigger('off');
    expect(disabled.status).toBe(409);
    expect(disabled.body.error).toMatch(/disabled/);
    expect(await lockOf('off')).toBeUndefined();

    const unknown = await trigger('nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('data source nope not found');
    expect(api.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('when Step Functions refuses, undoes the record, the lock, the audit event and the key, and answers 502 naming the failure', async () => {
    api.sfn
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Execution limit exceeded'), { name: 'ExecutionLimitExceeded' }));
    const headers = { 'Idempotency-Key': 'flaky-1' };

    const failed = await trigger('flaky', { headers });

    expect(failed.status).toBe(502);
    expect(failed.body.error).toBe(
      'could not start the backup: Step Functions StartExecution failed (ExecutionLimitExceeded: Execution limit exceeded)',
    );
    const attempted = api.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name as string;
    expect((await call(api.get, { method: 'GET', resource: BACKUP, pathParameters: { id: attempted } })).status).toBe(
      404,
    );
    expect(await lockOf('flaky')).toBeUndefined();
    const audit = await call<Page<AuditEvent>>(api.audit, {
      method: 'GET',
      resource: '/v1/audit',
      query: { limit: '100' },
    });
    expect(audit.body.items.map((e) => e.targetId)).not.toContain(attempted);

    // The same key now starts a fresh backup.
    const retried = await trigger('flaky', { headers });
    expect(retried.status).toBe(202);
    expect(retried.body.backupId).not.toBe(attempted);
  });

  it.each([
    ['an unknown trigger', { body: { trigger: 'schedule' } }, 'trigger'],
    ['an unknown field', { body: { trigger: 'api', priority: 1 } }, 'priority'],
    ['an Idempotency-Key with spaces', { headers: { 'Idempotency-Key': 'two words' } }, 'Idempotency-Key'],
    ['an over-long Idempotency-Key', { headers: { 'Idempotency-Key': 'k'.repeat(129) } }, 'Idempotency-Key'],
  ])('answers 400 for %s', async (_name, options, field) => {
    const response = await trigger('keys', options);
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields ?? {})).toContain(field);
  });

  it('answers 400 for a malformed source id', async () => {
    const response = await trigger('bad id!');
    expect(response.status).toBe(400);
    expect(response.body.fields).toHaveProperty('id');
  });
});
