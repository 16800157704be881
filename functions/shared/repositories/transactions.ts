import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's cap on the actions of one TransactWriteItems call. */
export const MAX_TRANSACT_ITEMS = 100;

/**
 * Writes `items` all or nothing. When a condition of one of them fails, the error `onConditionFailed` builds is
 * thrown instead of DynamoDB's (a 404 or 409 the caller chose); any other failure is rethrown as is.
 */
export async function transactWrite(table: TableRef, items: TransactItem[], onConditionFailed: () => Error): Promise<void> {
  try {
    await table.client.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const reasons = (error as { name?: string; CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === 'TransactionCanceledException' && reasons?.some((reason) => reason.Code === 'ConditionalCheckFailed')) {
      throw onConditionFailed();
    }
    throw error;
  }
}
