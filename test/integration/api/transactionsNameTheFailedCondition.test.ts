import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TransactionCancelled,
  transactNamedItems,
  type TransactItem,
} from '../../../functions/shared/repositories/transactions.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import { useTestTable } from '../../support/api.ts';

let table: TableRef;
beforeAll(async () => {
  table = await useTestTable();
});

const put = (pk: string): TransactItem => ({
  Put: { TableName: table.tableName, Item: { pk, sk: 'ITEM' }, ConditionExpression: 'attribute_not_exists(pk)' },
});

async function cancellation(promise: Promise<unknown>): Promise<TransactionCancelled> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TransactionCancelled)) throw new Error(`expected TransactionCancelled, got ${String(error)}`);
  return error;
}

describe('a transaction written by name', () => {
  it('says which named item failed its condition, in DynamoDB Local as in AWS', async () => {
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'taken', sk: 'ITEM' } }));

    const error = await cancellation(transactNamedItems(table, { record: put('fresh'), lock: put('taken') }));

    expect(error.names).toEqual(['record', 'lock']);
    expect(error.failed('lock')).toBe(true);
    expect(error.failed('record')).toBe(false);
    expect(error.reason('lock')).toBe('ConditionalCheckFailed');
    expect(error.failedNames).toEqual(['lock']);
    expect(error.message).toBe('transaction cancelled: [record: None, lock: ConditionalCheckFailed]');
  });

  it('names every item of a group after the group, so a failed one reads as the group', async () => {
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'group-2', sk: 'ITEM' } }));

    const error = await cancellation(
      transactNamedItems(table, { schedules: [put('group-1'), put('group-2'), put('group-3')], audit: put('audit-1') }),
    );

    expect(error.names).toEqual(['schedules', 'schedules', 'schedules', 'audit']);
    expect(error.failed('schedules')).toBe(true);
    expect(error.reason('schedules')).toBe('ConditionalCheckFailed');
    expect(error.failedNames).toEqual(['schedules']);
  });

  it('writes the items it is given and leaves out the ones left undefined', async () => {
    await transactNamedItems(table, { first: put('written-1'), skipped: undefined, second: put('written-2') });

    const again = await cancellation(
      transactNamedItems(table, { first: put('written-1'), skipped: undefined, second: put('written-2') }),
    );
    expect(again.names).toEqual(['first', 'second']);
    expect(again.failedNames).toEqual(['first', 'second']);
    expect(again.reason('skipped')).toBeUndefined();
  });
});
