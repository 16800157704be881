import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCancelled, transactWriteItems } from './cancellation.ts';
import type { TableRef } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's cap on the actions of one TransactWriteItems call. */
export const MAX_TRANSACT_ITEMS = 100;

/**
 * `transactWriteItems` for callers that only need to know *that* a condition failed: the error
 * `onConditionFailed` builds (a 404 or 409 the caller chose) is thrown instead; any other failure as is.
 */
export async function transactWrite(
  table: TableRef,
  items: TransactItem[],
  onConditionFailed: () => Error,
): Promise<void> {
  try {
    await transactWriteItems(table, items);
  } catch (error) {
    if (error instanceof TransactionCancelled && error.codes.includes('ConditionalCheckFailed'))
      throw onConditionFailed();
    throw error;
  }
}
