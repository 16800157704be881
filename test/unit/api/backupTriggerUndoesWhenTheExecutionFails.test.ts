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
import { cancelledAt, itemAt } from '../../support/transactItems.ts';

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
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'RUNNING' }).Put).toMatchObject({
      TableName: TABLE,
      Item: { pk: 'SOURCE#src-1', sk: 'RUNNING', backupId: 'bk-new' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'SOURCE' }).ConditionCheck).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'SOURCE' },
      ConditionExpression: 'attribute_exists(pk) AND enabled = :true',
    });
    expect(itemAt(items, { pk: 'BACKUP#bk-new', sk: 'BACKUP' }).Put).toMatchObject({
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
    const counter = itemAt(items, { pk: 'STATS', sk: 'DAY#2026-03-01' }).Update;
    expect(counter?.UpdateExpression).toMatch(/ADD/);
    expect(Object.values(counter?.ExpressionAttributeNames as object)).toEqual(
      expect.arrayContaining(['queued', 'h12_queued']),
    );
    expect(itemAt(items, { pk: /^AUDIT#/ }).Put).toMatchObject({
      Item: { action: 'backup.trigger', principal: PRINCIPAL, targetType: 'backup', targetId: 'bk-new' },
    });
    expect(itemAt(items, { pk: 'IDEMPOTENCY#ci-42' }).Put).toMatchObject({
      Item: { pk: 'IDEMPOTENCY#ci-42', resultId: 'bk-new', targetId: 'src-1', expiresAt: epoch + 24 * 3600 },
      ExpressionAttributeValues: { ':now': epoch },
    });
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'RESTORING#shop' }).ConditionCheck).toMatchObject({
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
    const auditId = (itemAt(transaction(0), { pk: /^AUDIT#/ }).Put?.Item as { id: string }).id;
    const undo = transaction(1);
    expect(undo).toHaveLength(5);
    expect(itemAt(undo, { pk: 'BACKUP#bk-new', sk: 'BACKUP' }).Delete).toMatchObject({
      Key: { pk: 'BACKUP#bk-new', sk: 'BACKUP' },
      ConditionExpression: '#status = :queued',
    });
    expect(itemAt(undo, { pk: 'SOURCE#src-1', sk: 'RUNNING' }).Delete).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'RUNNING' },
      ExpressionAttributeValues: { ':id': 'bk-new' },
    });
    const counter = itemAt(undo, { pk: 'STATS', sk: 'DAY#2026-03-01' }).Update;
    expect(Object.values(counter?.ExpressionAttributeValues as object)).toContain(-1);
    expect(itemAt(undo, { pk: `AUDIT#${auditId}`, sk: 'AUDIT' }).Delete).toBeDefined();
    expect(itemAt(undo, { pk: 'IDEMPOTENCY#ci-42' }).Delete).toMatchObject({
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

  /** Idempotency-Key `ci-42` already answered with backup `bk-old`, its record expiring at `expiresAt` (epoch s). */
  const givenKeyForOldBackup = (expiresAt: number) =>
    given({
      source,
      idempotency: {
        key: 'ci-42',
        operation: 'backup.trigger',
        targetId: 'src-1',
        resultId: 'bk-old',
        createdAt: 'x',
        expiresAt,
      },
    });

  it('answers a known, unexpired Idempotency-Key with its backup without writing or starting anything', async () => {
    givenKeyForOldBackup(epoch + 60);

    expect(await triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' })).toEqual({ backupId: 'bk-old' });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('treats an expired key that TTL has not removed yet as unused', async () => {
    givenKeyForOldBackup(epoch);

    expect(await triggerBackup(deps, { ...request, idempotencyKey: 'ci-42' })).toEqual({ backupId: 'bk-new' });
    expect(itemAt(transaction(), { pk: 'IDEMPOTENCY#ci-42' }).Put?.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR #ttl <= :now',
    );
  });

  it('answers 409 naming the backup that holds the lock when the lock condition fails', async () => {
    given({ source, lockedBy: 'bk-running' });
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: 'SOURCE#src-1', sk: 'RUNNING' }));

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
    ddb.on(TransactWriteCommand).callsFake((input: Parameters<ReturnType<typeof cancelledAt>>[0]) => {
      given({});
      return cancelledAt({ pk: 'SOURCE#src-1', sk: 'SOURCE' })(input);
    });
    const error = await rejectionOf(triggerBackup(deps, request));
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('data source src-1 not found');
  });

  it('retries a transaction cancelled only by contention with another one', async () => {
    given({ source });
    ddb
      .on(TransactWriteCommand)
      .callsFakeOnce(cancelledAt({ pk: 'STATS', sk: 'DAY#2026-03-01' }, 'TransactionConflict'))
      .resolves({});

    expect(await triggerBackup(deps, request)).toEqual({ backupId: 'bk-new' });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });
});
