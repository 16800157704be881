import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { triggerBackup, type TriggerDeps } from '../../../functions/backups/triggerService.ts';
import {
  BACKUP_MACHINE,
  NOW,
  PRINCIPAL,
  TABLE,
  awsError,
  cancelled,
  ddb,
  given,
  rejectionOf,
  resetMocks,
  restoreMocks,
  sfn,
  sfnMock,
  source,
  table,
  transaction,
} from './backupFixtures.ts';

const deps: TriggerDeps = { table, sfn, stateMachineArn: BACKUP_MACHINE, now: () => NOW, newId: () => 'bk-new' };
const request = { sourceId: 'src-1', trigger: 'manual' as const, principal: PRINCIPAL };
const epoch = NOW.getTime() / 1000;

beforeEach(() => {
  resetMocks();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
});
afterAll(restoreMocks);

describe('triggerBackup', () => {
  it('writes lock, source check, record, counter, audit, key and no-restore check in one transaction, then starts the execution named after the backup', async () => {
    given({ source });

    const result = await triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' });

    expect(result).toEqual({ backupId: 'bk-new' });
    const items = transaction();
    expect(items).toHaveLength(7);
    expect(items[0]?.Put).toMatchObject({
      TableName: TABLE,
      Item: { pk: 'SOURCE#src-1', sk: 'RUNNING', backupId: 'bk-new' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[1]?.ConditionCheck).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'SOURCE' },
      ConditionExpression: 'attribute_exists(pk) AND enabled = :true',
    });
    expect(items[2]?.Put).toMatchObject({
      Item: {
        pk: 'BACKUP#bk-new',
        sk: 'BACKUP',
        gsi1pk: 'BACKUPS',
        gsi1sk: '2026-03-01T12:00:00.000Z#bk-new',
        gsi2pk: 'SOURCE#src-1#BACKUPS',
        gsi3pk: 'STATUS#queued',
        gsi4pk: 'SOURCE#src-1#STATUS#queued',
        status: 'queued',
        trigger: 'manual',
        database: 'shop',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[3]?.Update).toMatchObject({ Key: { pk: 'STATS', sk: 'DAY#2026-03-01' } });
    expect(items[3]?.Update?.UpdateExpression).toMatch(/ADD/);
    expect(Object.values(items[3]?.Update?.ExpressionAttributeNames as object)).toEqual(
      expect.arrayContaining(['queued', 'h12_queued']),
    );
    expect(items[4]?.Put).toMatchObject({
      Item: { action: 'backup.trigger', principal: PRINCIPAL, targetType: 'backup', targetId: 'bk-new' },
    });
    expect(items[5]?.Put).toMatchObject({
      Item: { pk: 'IDEMPOTENCY#ci-42', resultId: 'bk-new', targetId: 'src-1', expiresAt: epoch + 24 * 3600 },
      ExpressionAttributeValues: { ':now': epoch },
    });
    expect(items[6]?.ConditionCheck).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'RESTORING#shop' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: BACKUP_MACHINE,
      name: 'bk-new',
      input: JSON.stringify({ dataSourceId: 'src-1', backupId: 'bk-new', trigger: 'manual' }),
    });
  });

  it('undoes everything in one transaction and answers 502 naming the failure when StartExecution fails', async () => {
    given({ source });
    sfnMock.on(StartExecutionCommand).rejects(awsError('ExecutionLimitExceeded', 'too many executions'));

    const error = await rejectionOf(triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' }));

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      'could not start the backup: Step Functions StartExecution failed (ExecutionLimitExceeded: too many executions)',
    );
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    const auditId = (transaction(0)[4]?.Put?.Item as { id: string }).id;
    const undo = transaction(1);
    expect(undo[0]?.Delete).toMatchObject({
      Key: { pk: 'BACKUP#bk-new', sk: 'BACKUP' },
      ConditionExpression: '#status = :queued',
    });
    expect(undo[1]?.Delete).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'RUNNING' },
      ExpressionAttributeValues: { ':id': 'bk-new' },
    });
    expect(undo[2]?.Update).toMatchObject({ Key: { pk: 'STATS', sk: 'DAY#2026-03-01' } });
    expect(Object.values(undo[2]?.Update?.ExpressionAttributeValues as object)).toContain(-1);
    expect(undo[3]?.Delete).toMatchObject({ Key: { pk: `AUDIT#${auditId}`, sk: 'AUDIT' } });
    expect(undo[4]?.Delete).toMatchObject({
      Key: { pk: 'IDEMPOTENCY#ci-42' },
      ExpressionAttributeValues: { ':id': 'bk-new' },
    });
  });

  it('still answers 502 (and logs) when the undo itself fails', async () => {
    given({ source });
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejects(awsError('InternalServerError', 'DynamoDB hiccup'));
    sfnMock.on(StartExecutionCommand).rejects(awsError('AccessDeniedException', 'not allowed'));

    const error = await rejectionOf(triggerBackup(deps, request));

    expect(error.statusCode).toBe(502);
    expect(error.message).toMatch(/AccessDeniedException: not allowed/);
  });

  it('answers a known, unexpired Idempotency-Key with its backup without writing or starting anything', async () => {
    given({
      source,
      idempotency: {
        key: 'ci-42',
        operation: 'backup.trigger',
        targetId: 'src-1',
        resultId: 'bk-old',
        createdAt: 'x',
        expiresAt: epoch + 60,
      },
    });

    expect(await triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' })).toEqual({ backupId: 'bk-old' });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('treats an expired key that TTL has not removed yet as unused', async () => {
    given({
      source,
      idempotency: {
        key: 'ci-42',
        operation: 'backup.trigger',
        targetId: 'src-1',
        resultId: 'bk-old',
        createdAt: 'x',
        expiresAt: epoch,
      },
    });

    expect(await triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' })).toEqual({ backupId: 'bk-new' });
    expect(transaction()[5]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk) OR #ttl <= :now');
  });

  it('answers 409 naming the backup that holds the lock when the lock condition fails', async () => {
    given({ source, lockedBy: 'bk-running' });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None', 'None', 'None'));

    const error = await rejectionOf(triggerBackup(deps, request));

    expect(error.statusCode).toBe(409);
    expect(error.message).toBe(
      'data source src-1 already has a backup queued or running (bk-running): wait for it or cancel it',
    );
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 409 for a disabled source before writing, and 404 when the source vanished during the transaction', async () => {
    given({ source: { ...source, enabled: false } });
    expect((await rejectionOf(triggerBackup(deps, request))).statusCode).toBe(409);
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);

    resetMocks();
    given({ source });
    ddb.on(TransactWriteCommand).callsFake(() => {
      given({});
      throw cancelled('None', 'ConditionalCheckFailed', 'None', 'None', 'None');
    });
    const error = await rejectionOf(triggerBackup(deps, request));
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('data source src-1 not found');
  });

  it('retries a transaction cancelled only by contention with another one', async () => {
    given({ source });
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'None', 'TransactionConflict', 'None'))
      .resolves({});

    expect(await triggerBackup(deps, request)).toEqual({ backupId: 'bk-new' });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });
});
