import type { Page } from '../../../types/api.ts';
import { indexKeys } from '../../../types/table.ts';
import { Invalid } from '../errors.ts';
import { decodeCursor } from '../keys.ts';
import { queryPage, type IndexQuery, type TableRef } from './table.ts';

/** Sort-key bounds for time-ordered collections (`<iso time>#<id>`): ids sort below `~`, digits above `0`. */
export function timeRange(from: string | undefined, to: string | undefined): readonly [string, string] | undefined {
  if (from === undefined && to === undefined) return undefined;
  return [from ?? '0', `${to ?? '9999'}#~`];
}

/**
 * A cursor is only valid for the list that issued it: DynamoDB rejects a start key of another index with a
 * 500-worthy ValidationException, and one outside the date range is an error too. Check it here, so a cursor
 * carried over to another filter is a 400 that says so.
 */
export function assertCursorFits(query: IndexQuery): void {
  const start = decodeCursor(query.cursor);
  if (!start) return;
  const { partition, sort } = indexKeys(query.index);
  const expected = ['pk', 'sk', partition, sort].sort();
  const actual = Object.keys(start).sort();
  const sortValue = start[sort];
  const fits =
    actual.length === expected.length &&
    actual.every((name, i) => name === expected[i]) &&
    start[partition] === query.partition &&
    sortValue !== undefined &&
    (!query.between || (sortValue >= query.between[0] && sortValue <= query.between[1]));
  if (!fits)
    throw new Invalid('cursor belongs to another list or filter', {
      cursor: 'belongs to another list or filter: start again without it',
    });
}

/** One page of a GSI collection, with the cursor checked against the query it is used with. */
export function queryCollectionPage<T>(
  table: TableRef,
  query: IndexQuery,
  parse: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  assertCursorFits(query);
  return queryPage(table, query, parse);
}
