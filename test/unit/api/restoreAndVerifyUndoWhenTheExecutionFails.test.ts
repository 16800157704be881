import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyBackup, verifyExecutionName } from '../../../functions/backups/verifyService.ts';
import { createRestore } from '../../../functions/restores/restoreService.ts';
import {
  NOW,
  PRINCIPAL,
  awsError,
  ddb,
  given,
  rejectionOf,
  resetMocks,
  restoreMocks,
  sfn,
  sfnMock,
  source,
  succeeded,
  table,
  transaction,
} from './backupFixtures.ts';
import { cancelledAt, itemAt } from '../../support/transactItems.ts';

const RESTORE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:keepsake-restore';
const VERIFY_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:keepsake-verify';
const body = {
  backupId: 'bk-1',
  targetSourceId: 'src-1',
  targetDatabase: 'shop_restored',
  confirmDatabase: 'shop_restored',
};

beforeEach(() => {
  resetMocks();
  sfnMock
    .on(StartExecutionCommand)
    .resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:x', startDate: NOW });
  ddb.on(DeleteCommand).resolves({});
});
afterAll(restoreMocks);

describe('createRestore', () => {
  const deps = { table, sfn, stateMachineArn: RESTORE_MACHINE, now: () => NOW, newId: () => 'rs-1' };

  it('writes the record with checks on the backup and the target and the audit event, then starts the execution', async () => {
    given({ source, backup: succeeded() });

    expect(await createRestore(deps, body, PRINCIPAL)).toEqual({ restoreId: 'rs-1' });

    const items = transaction();
    expect(itemAt(items, { pk: 'RESTORE#rs-1', sk: 'RESTORE' }).Put).toMatchObject({
      Item: {
        pk: 'RESTORE#rs-1',
        gsi1pk: 'RESTORES',
        gsi2pk: 'SOURCE#src-1#RESTORES',
        status: 'queued',
        requestedBy: PRINCIPAL,
      },
    });
    expect(itemAt(items, { pk: 'BACKUP#bk-1', sk: 'BACKUP' }).ConditionCheck).toMatchObject({
      Key: { pk: 'BACKUP#bk-1' },
      ConditionExpression: '#status = :succeeded AND attribute_not_exists(#trashedAt)',
    });
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'SOURCE' }).ConditionCheck).toBeDefined();
    expect(itemAt(items, { pk: /^AUDIT#/ }).Put).toMatchObject({ Item: { action: 'restore.start', targetId: 'rs-1' } });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: RESTORE_MACHINE,
      name: 'rs-1',
      input: JSON.stringify({
        restoreId: 'rs-1',
        backupId: 'bk-1',
        targetSourceId: 'src-1',
        targetDatabase: 'shop_restored',
      }),
    });
  });

  it('deletes the record, the audit event and the target lock, and answers 502 when StartExecution fails', async () => {
    given({ source, backup: succeeded() });
    sfnMock.on(StartExecutionCommand).rejects(awsError('InvalidExecutionInput', 'bad input'));

    const error = await rejectionOf(createRestore(deps, body, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      'could not start the restore: Step Functions StartExecution failed (InvalidExecutionInput: bad input)',
    );
    const auditId = (itemAt(transaction(0), { pk: /^AUDIT#/ }).Put?.Item as { id: string }).id;
    const undo = transaction(1);
    expect(undo).toHaveLength(3);
    expect(itemAt(undo, { pk: 'RESTORE#rs-1', sk: 'RESTORE' }).Delete).toMatchObject({
      ConditionExpression: '#status = :queued',
    });
    expect(itemAt(undo, { pk: `AUDIT#${auditId}`, sk: 'AUDIT' }).Delete).toBeDefined();
    expect(itemAt(undo, { pk: 'SOURCE#src-1', sk: 'RESTORING#shop_restored' }).Delete).toMatchObject({
      ExpressionAttributeValues: { ':id': 'rs-1' },
    });
  });

  it('answers 409 when the backup left succeeded between the read and the transaction', async () => {
    given({ source, backup: succeeded() });
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: 'BACKUP#bk-1', sk: 'BACKUP' }));
    const error = await rejectionOf(createRestore(deps, body, PRINCIPAL));
    expect(error.statusCode).toBe(409);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('verifyBackup', () => {
  const deps = { table, sfn, stateMachineArn: VERIFY_MACHINE, now: () => NOW };

  it('names executions verify-<time>-<backup id> within the 80-character limit', () => {
    expect(verifyExecutionName('bk-1', NOW)).toBe(`verify-${NOW.getTime().toString(36)}-bk-1`);
    expect(verifyExecutionName('x'.repeat(64), NOW)).toHaveLength(80);
  });

  it('starts the Verify machine with {backupId} and returns the execution', async () => {
    given({ backup: succeeded() });
    expect(await verifyBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL })).toEqual({
      backupId: 'bk-1',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:x',
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: VERIFY_MACHINE,
      input: '{"backupId":"bk-1"}',
    });
  });

  it('removes the audit event and answers 502 when StartExecution fails', async () => {
    given({ backup: succeeded() });
    sfnMock.on(StartExecutionCommand).rejects(awsError('StateMachineDeleting', 'being deleted'));

    const error = await rejectionOf(verifyBackup(deps, { backupId: 'bk-1', principal: PRINCIPAL }));

    expect(error.statusCode).toBe(502);
    const auditId = (itemAt(transaction(0), { pk: /^AUDIT#/ }).Put?.Item as { id: string }).id;
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: `AUDIT#${auditId}`, sk: 'AUDIT' } });
  });
});
