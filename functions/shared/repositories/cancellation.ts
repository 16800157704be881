import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableRef } from './table.ts';
import type { TransactItem } from './transactions.ts';

/**
 * A cancelled transaction with DynamoDB's reason for each item, in the order the items were given, so the
 * caller can say which condition failed (the source is disabled, a backup is running, the key was used…).
 */
export class TransactionCancelled extends Error {
  constructor(
    readonly codes: readonly (string | undefined)[],
    options?: { cause?: unknown },
    /** The items' names, in order, when the transaction was written with `transactNamedItems`. */
    readonly names: readonly string[] = [],
  ) {
    super(
      `transaction cancelled: [${codes.map((c, i) => `${names[i] ? `${names[i]}: ` : ''}${c ?? 'None'}`).join(', ')}]`,
      options,
    );
    this.name = 'TransactionCancelled';
  }

  /** Whether the item at `index` failed its condition expression. */
  conditionFailed(index: number): boolean {
    return this.codes[index] === 'ConditionalCheckFailed';
  }

  /** DynamoDB's reason for the item named `name` (`ConditionalCheckFailed`, `TransactionConflict`, `None`…). */
  reason(name: string): string | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : this.codes[index];
  }

  /** Whether the item named `name` failed its condition expression. */
  failed(name: string): boolean {
    return this.reason(name) === 'ConditionalCheckFailed';
  }
}

interface CancelledError {
  readonly name?: string;
  readonly message?: string;
  readonly CancellationReasons?: readonly { Code?: string }[];
}

/** Reasons from the error; DynamoDB Local sometimes only lists them in the message (`… reasons [None, ConditionalCheckFailed]`). */
function reasonCodes(error: CancelledError, count: number): (string | undefined)[] {
  if (error.CancellationReasons?.length) return error.CancellationReasons.map((r) => r.Code);
  const listed = /\[([A-Za-z, ]+)\]\s*$/.exec(error.message ?? '')?.[1];
  return listed ? listed.split(',').map((c) => c.trim()) : new Array<undefined>(count).fill(undefined);
}

/**
 * Writes `items` all or nothing. A cancellation caused only by contention with another transaction
 * (`TransactionConflict`, e.g. two triggers updating the same daily counter) is retried a few times with
 * jitter; one whose condition failed is thrown at once as `TransactionCancelled` with a code per item.
 */
export async function transactWriteItems(table: TableRef, items: TransactItem[], attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await table.client.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const e = error as CancelledError;
      if (e.name !== 'TransactionCanceledException') throw error;
      const codes = reasonCodes(e, items.length);
      const onlyContention = codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
      if (!onlyContention || attempt >= attempts) throw new TransactionCancelled(codes, { cause: error });
      await sleep(20 * attempt + Math.random() * 30);
    }
  }
}

/**
 * `transactWriteItems` over items given by name (items left undefined are not written), so that the caller reads
 * a cancellation by name (`error.failed('lock')`) rather than by a position that shifts as items are added.
 */
export async function transactNamedItems(
  table: TableRef,
  items: Readonly<Record<string, TransactItem | undefined>>,
): Promise<void> {
  const named = Object.entries(items).filter((entry): entry is [string, TransactItem] => entry[1] !== undefined);
  try {
    await transactWriteItems(
      table,
      named.map(([, item]) => item),
    );
  } catch (error) {
    if (!(error instanceof TransactionCancelled)) throw error;
    throw new TransactionCancelled(
      error.codes,
      { cause: error.cause },
      named.map(([name]) => name),
    );
  }
}
