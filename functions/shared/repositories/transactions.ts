import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableRef } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's cap on the actions of one TransactWriteItems call. */
export const MAX_TRANSACT_ITEMS = 100;

/**
 * A transaction's items by name: one item, a group of like items (`schedules: [...]`, each item of it named
 * `schedules`), or undefined for an item this call does not write. A cancellation is read by these names, so
 * adding an item moves no other item's meaning.
 */
export type NamedItems = Readonly<Record<string, TransactItem | readonly TransactItem[] | undefined>>;

const CONDITION_FAILED = 'ConditionalCheckFailed';

/**
 * A cancelled transaction with DynamoDB's reason for each item under the item's name, so the caller can say which
 * condition failed (the source is disabled, a backup is running, the key was used…).
 */
export class TransactionCancelled extends Error {
  constructor(
    /** The name of each item written, in the order written (a group's name once per item). */
    readonly names: readonly string[],
    /** DynamoDB's reason for each item, in the same order (`None` or undefined for an item that was fine). */
    readonly reasons: readonly (string | undefined)[],
    options?: { cause?: unknown },
  ) {
    super(`transaction cancelled: [${names.map((name, i) => `${name}: ${reasons[i] ?? 'None'}`).join(', ')}]`, options);
    this.name = 'TransactionCancelled';
  }

  /**
   * DynamoDB's reason for the item named `name` (`ConditionalCheckFailed`, `TransactionConflict`, `None`…); for a
   * group, the first of its items' reasons that is not `None`. Undefined for a name that was not written.
   */
  reason(name: string): string | undefined {
    const reasons = this.names.flatMap((n, i) => (n === name ? [this.reasons[i] ?? 'None'] : []));
    return reasons.find((r) => r !== 'None') ?? reasons[0];
  }

  /** Whether the item named `name` (for a group: any of its items) failed its condition expression. */
  failed(name: string): boolean {
    return this.names.some((n, i) => n === name && this.reasons[i] === CONDITION_FAILED);
  }

  /** The names of the items whose condition failed, each once. */
  get failedNames(): string[] {
    return [...new Set(this.names.filter((_, i) => this.reasons[i] === CONDITION_FAILED))];
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
 * Writes `items` all or nothing, in the order given. A cancellation caused only by contention with another
 * transaction (`TransactionConflict`, e.g. two triggers updating the same daily counter) is retried a few times
 * with jitter; one whose condition failed is thrown at once as `TransactionCancelled`, read by name
 * (`error.failed('lock')`).
 */
export async function transactNamedItems(table: TableRef, items: NamedItems, attempts = 4): Promise<void> {
  const named = Object.entries(items).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((item: TransactItem) => ({ name, item })),
  );
  const transactItems = named.map(({ item }) => item);
  for (let attempt = 1; ; attempt++) {
    try {
      await table.client.send(new TransactWriteCommand({ TransactItems: transactItems }));
      return;
    } catch (error) {
      const e = error as CancelledError;
      if (e.name !== 'TransactionCanceledException') throw error;
      const codes = reasonCodes(e, named.length);
      const onlyContention = codes.includes('TransactionConflict') && !codes.includes(CONDITION_FAILED);
      if (!onlyContention || attempt >= attempts)
        throw new TransactionCancelled(
          named.map(({ name }) => name),
          codes,
          { cause: error },
        );
      await sleep(20 * attempt + Math.random() * 30);
    }
  }
}

/**
 * A `.catch` handler for callers that answer a failed condition of the item `name` (or of any of `names`) with an
 * error of their own (a 404 or 409 they chose); any other failure is rethrown as it is.
 */
export function whenConditionFailed(
  names: string | readonly string[],
  toError: () => Error,
): (error: unknown) => never {
  const named = typeof names === 'string' ? [names] : names;
  return (error) => {
    if (error instanceof TransactionCancelled && named.some((name) => error.failed(name))) throw toError();
    throw error;
  };
}
