import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cancelBackup, recordBackupOutcome } from '../../../functions/backups/runService.ts';
import { executionArnOf } from '../../../functions/shared/stepFunctions.ts';
import {
  BACKUP_MACHINE,
  NOW,
  PRINCIPAL,
  awsError,
  backup,
  ddb,
  given,
  rejectionOf,
  resetMocks,
  restoreMocks,
  sfn,
  sfnMock,
  table,
  transaction,
} from './backupFixtures.ts';
import { itemAt } from '../../support/transactItems.ts';

const deps = { table, sfn, stateMachineArn: BACKUP_MACHINE, now: () => NOW };

beforeEach(() => {
  resetMocks();
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: NOW });
});
afterAll(restoreMocks);

describe('executionArnOf', () => {
  it('derives the execution ARN from the state machine ARN and the execution name', () => {
    expect(executionArnOf(BACKUP_MACHINE, 'bk-1')).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:bk-1',
    );
    expect(() => executionArnOf('arn:aws:lambda:eu-west-1:123456789012:function:f', 'x')).toThrow(
      /not a state machine ARN/,
    );
  });
});

describe('cancelBackup', () => {
  it('stops the execution named after the backup, then marks it cancelled, releases the lock and writes the audit event together', async () => {
    given({ backup: backup({ status: 'running', startedAt: '2026-03-01T11:59:30.000Z' }), lockedBy: 'bk-1' });

    const result = await cancelBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL });

    expect(sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:bk-1',
      cause: `cancelled by ${PRINCIPAL}`,
    });
    expect(result).toMatchObject({ status: 'cancelled', finishedAt: NOW.toISOString(), durationMs: 30_000 });
    const items = transaction();
    const record = itemAt(items, { pk: 'BACKUP#bk-1', sk: 'BACKUP' }).Update;
    expect(record?.ConditionExpression).toMatch(/#status IN \(:from0, :from1\)/);
    expect(Object.values(record?.ExpressionAttributeValues as object)).toEqual(
      expect.arrayContaining(['cancelled', 'STATUS#cancelled', 'SOURCE#src-1#STATUS#cancelled']),
    );
    expect(itemAt(items, { pk: /^AUDIT#/ }).Put).toMatchObject({
      Item: { action: 'backup.cancel', principal: PRINCIPAL },
    });
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'RUNNING' }).Delete).toBeDefined();
  });

  it('stops the execution the state machine recorded, for a scheduled run', async () => {
    given({
      backup: backup({
        status: 'running',
        trigger: 'schedule',
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:sched-xyz',
      }),
    });
    await cancelBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL });
    expect(sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:keepsake-backup:sched-xyz',
    });
  });

  it('answers 502 and writes nothing when StopExecution fails; goes ahead when the execution no longer exists', async () => {
    given({ backup: backup() });
    sfnMock
      .on(StopExecutionCommand)
      .rejectsOnce(awsError('ThrottlingException', 'slow down'))
      .rejectsOnce(awsError('ExecutionDoesNotExist', 'gone'));

    const error = await rejectionOf(cancelBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL }));
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      'could not cancel the backup: Step Functions StopExecution failed (ThrottlingException: slow down)',
    );
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);

    expect((await cancelBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL })).status).toBe('cancelled');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('answers 409 for a finished backup without calling Step Functions', async () => {
    given({ backup: backup({ status: 'succeeded' }) });
    expect((await rejectionOf(cancelBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL }))).statusCode).toBe(409);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });
});

describe('recordBackupOutcome', () => {
  it('adds a succeeded backup to its source stored totals and leaves another backup lock alone', async () => {
    given({ backup: backup({ status: 'running' }), lockedBy: 'someone-else' });

    await recordBackupOutcome(
      { table, now: () => NOW },
      {
        backupId: 'bk-1',
        outcome: {
          status: 'succeeded',
          s3Key: 'k',
          compressedBytes: 777,
          uncompressedBytes: 3000,
          sha256: 'f'.repeat(64),
          tables: 4,
          durationMs: 9,
        },
      },
    );

    const items = transaction();
    expect(items.some((i) => i.Delete)).toBe(false);
    const sourceStats = itemAt(items, { pk: 'STATS', sk: 'SOURCE#src-1' }).Update;
    expect(sourceStats?.UpdateExpression).toMatch(/^SET .* ADD /);
    expect(Object.values(sourceStats?.ExpressionAttributeValues as object)).toEqual(expect.arrayContaining([777, 1]));
  });
});
