/**
 * Reading a stubbed TransactWriteItems call by what its items are (the key each one writes or checks) rather than by
 * where they sit, so a test keeps its meaning when a transaction gains an item.
 */

/** A key to look for: `pk` exactly or by pattern (an audit event's id is random), and `sk` when given. */
export interface KeyMatch {
  readonly pk: string | RegExp;
  readonly sk?: string;
}

type Item = Readonly<Record<string, unknown>>;

/** The key an item is about: its Put's item, or its Update, Delete or ConditionCheck key. */
function keyOf(item: Item): { pk?: unknown; sk?: unknown } {
  const [action] = Object.values(item) as (
    { Item?: Record<string, unknown>; Key?: Record<string, unknown> } | undefined
  )[];
  return action?.Item ?? action?.Key ?? {};
}

function matches(item: Item, key: KeyMatch): boolean {
  const { pk, sk } = keyOf(item);
  const pkMatches = typeof key.pk === 'string' ? pk === key.pk : typeof pk === 'string' && key.pk.test(pk);
  return pkMatches && (key.sk === undefined || sk === key.sk);
}

const describeKey = (key: KeyMatch) => `${String(key.pk)}${key.sk === undefined ? '' : ` / ${key.sk}`}`;

/** The one item of `items` about `key`; fails naming the keys the transaction does hold when there is not exactly one. */
export function itemAt<T extends Item>(items: readonly T[], key: KeyMatch): T {
  const found = items.filter((item) => matches(item, key));
  if (found.length !== 1) {
    const held = items.map((item) => `${String(keyOf(item).pk)} / ${String(keyOf(item).sk)}`).join(', ');
    throw new Error(`expected one item at ${describeKey(key)} in the transaction, found ${found.length}: [${held}]`);
  }
  return found[0] as T;
}

/**
 * A fake for `ddb.on(TransactWriteCommand).callsFake(...)`: cancels the transaction as DynamoDB does, the item at
 * `key` failing with `reason` and every other item `None`.
 */
export function cancelledAt(key: KeyMatch, reason = 'ConditionalCheckFailed') {
  return (input: { TransactItems?: readonly Item[] }): never => {
    const items = input.TransactItems ?? [];
    itemAt(items, key);
    const codes = items.map((item) => (matches(item, key) ? reason : 'None'));
    throw Object.assign(
      new Error(`Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`),
      { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) },
    );
  };
}
