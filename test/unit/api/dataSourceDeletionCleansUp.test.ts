import { DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteDataSource, setDataSourceEnabled } from '../../../functions/dataSources/dataSourceService.ts';
import {
  PRINCIPAL,
  SECRET_ARN,
  TABLE,
  ddb,
  deps,
  rejectionOf,
  resetMocks,
  restoreMocks,
  scheduler,
  secretsManager,
  storedItem,
} from './dataSourceFixtures.ts';
import { cancelledAt, itemAt } from '../../support/transactItems.ts';

const BACKUPS_OF = 'SOURCE#src-1#BACKUPS';
const SCHEDULES_OF = 'SOURCE#src-1#SCHEDULES';
const TRASH_OF = 'SOURCE#src-1#TRASH';

/** The source exists, holds `backups` backups (counted over two pages) plus `trashed` in the trash, and has these schedules. */
function given(backups: number, scheduleIds: string[], trashed = 0): void {
  ddb.on(GetCommand).resolves({ Item: storedItem() });
  const firstPage = Math.floor(backups / 2);
  ddb
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': BACKUPS_OF } })
    .resolvesOnce({
      Count: firstPage,
      LastEvaluatedKey: { pk: 'BACKUP#b', sk: 'BACKUP', gsi2pk: BACKUPS_OF, gsi2sk: 'x' },
    })
    .resolves({ Count: backups - firstPage });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': TRASH_OF } }).resolves({ Count: trashed });
  ddb
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': SCHEDULES_OF } })
    .resolves({ Items: scheduleIds.map((id) => ({ pk: `SCHEDULE#${id}` })) });
  ddb.on(TransactWriteCommand).resolves({});
  scheduler.on(DeleteScheduleCommand).resolves({});
  secretsManager.on(DeleteSecretCommand).resolves({});
}

beforeEach(resetMocks);
afterAll(restoreMocks);

describe('deleting a data source', () => {
  it('counts the trash too: its backups are kept as well', async () => {
    given(0, [], 2);
    const error = await rejectionOf(deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL));
    expect(error.statusCode).toBe(409);
    expect(error.message).toMatch(/holds 2 backups \(2 of them in the trash\): delete with \?force=true/);
  });

  it('refuses with 409 naming how many backups it holds, counting with Select COUNT on gsi2 over every page', async () => {
    given(5, ['sch-1']);

    const error = await rejectionOf(deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL));

    expect(error.statusCode).toBe(409);
    expect(error.message).toMatch(/holds 5 backups/);
    expect(error.message).toMatch(/force=true/);
    const counts = ddb.commandCalls(QueryCommand, { Select: 'COUNT' });
    // Two pages of the source's backups, one of its trash.
    expect(counts).toHaveLength(3);
    expect(counts[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      IndexName: 'gsi2',
      ExpressionAttributeNames: { '#gsi2pk': 'gsi2pk' },
    });
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(scheduler.calls()).toHaveLength(0);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('with force: removes each Scheduler schedule, then the source, its schedule items and an audit event together, then schedules the secret for deletion', async () => {
    given(3, ['sch-1', 'sch-2']);

    await deleteDataSource(deps(), 'src-1', { force: true }, PRINCIPAL);

    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: 'keepsake-sch-1', GroupName: 'keepsake' },
      { Name: 'keepsake-sch-2', GroupName: 'keepsake' },
    ]);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(4);
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'SOURCE' }).Delete).toEqual({
      TableName: TABLE,
      Key: { pk: 'SOURCE#src-1', sk: 'SOURCE' },
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(itemAt(items, { pk: 'SCHEDULE#sch-1', sk: 'SCHEDULE' }).Delete).toBeDefined();
    expect(itemAt(items, { pk: 'SCHEDULE#sch-2', sk: 'SCHEDULE' }).Delete).toBeDefined();
    const audit = itemAt(items, { pk: /^AUDIT#/ }).Put?.Item;
    expect(audit).toMatchObject({ action: 'dataSource.delete', principal: PRINCIPAL, targetId: 'src-1' });
    expect(audit?.summary).toMatch(/2 schedule\(s\) deleted; 3 backup\(s\) kept/);
    expect(secretsManager).toHaveReceivedCommandExactlyOnceWith(DeleteSecretCommand, {
      SecretId: SECRET_ARN,
      ForceDeleteWithoutRecovery: false,
      RecoveryWindowInDays: 7,
    });
  });

  it('deletes a source without backups without force', async () => {
    given(0, []);
    await deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    expect(secretsManager).toHaveReceivedCommandTimes(DeleteSecretCommand, 1);
  });

  it('counts a Scheduler schedule that is already gone as removed', async () => {
    given(0, ['sch-1']);
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(
        Object.assign(new Error('Schedule keepsake-sch-1 does not exist.'), { name: 'ResourceNotFoundException' }),
      );
    await deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('changes nothing in the table when Scheduler refuses (502), so a retry can finish the job', async () => {
    given(0, ['sch-1']);
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const error = await rejectionOf(deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe('cannot delete the EventBridge schedule of schedule sch-1 (ThrottlingException)');
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('keeps the secret when the table write fails', async () => {
    given(0, []);
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: 'SOURCE#src-1', sk: 'SOURCE' }));
    const error = await rejectionOf(deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL));
    expect(error.statusCode).toBe(404);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('splits more schedules than one transaction holds, deleting the source in the last transaction', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `sch-${i}`);
    given(0, ids);

    await deleteDataSource(deps(), 'src-1', { force: false }, PRINCIPAL);

    const transactions = ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);
    expect(transactions.map((items) => items.length)).toEqual([100, 52]);
    expect(transactions[0]?.every((item) => item.Delete?.Key?.pk?.toString().startsWith('SCHEDULE#'))).toBe(true);
    expect(itemAt(transactions[1] ?? [], { pk: 'SOURCE#src-1', sk: 'SOURCE' }).Delete).toBeDefined();
    expect(scheduler).toHaveReceivedCommandTimes(DeleteScheduleCommand, 150);
  });

  it('answers 404 for an unknown id', async () => {
    ddb.on(GetCommand).resolves({});
    const error = await rejectionOf(deleteDataSource(deps(), 'nope', { force: true }, PRINCIPAL));
    expect(error.statusCode).toBe(404);
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('enabling and disabling a data source', () => {
  it('updates the flag and writes an audit event in one transaction', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    ddb.on(TransactWriteCommand).resolves({});

    const source = await setDataSourceEnabled(deps(), 'src-1', false, PRINCIPAL);

    expect(source.enabled).toBe(false);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(itemAt(items, { pk: 'SOURCE#src-1', sk: 'SOURCE' }).Update).toMatchObject({
      Key: { pk: 'SOURCE#src-1', sk: 'SOURCE' },
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':enabled': false },
    });
    expect(itemAt(items, { pk: /^AUDIT#/ }).Put?.Item).toMatchObject({
      action: 'dataSource.disable',
      principal: PRINCIPAL,
    });
  });

  it('answers 404 when the source disappears between the read and the write', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem() });
    ddb.on(TransactWriteCommand).callsFake(cancelledAt({ pk: 'SOURCE#src-1', sk: 'SOURCE' }));
    const error = await rejectionOf(setDataSourceEnabled(deps(), 'src-1', true, PRINCIPAL));
    expect(error.statusCode).toBe(404);
  });
});
