/**
 * How MySQL and MariaDB compare database names, for everything that must agree with the server about whether two
 * names are one database: the runner's existence check before a restore, the console's target inspector and the
 * API's per-database locks.
 *
 * With `lower_case_table_names` 0 names are compared byte for byte (`Shop` and `shop` are two databases). With 1
 * the server stores names in lower case and folds every name it is given; with 2 it stores them as given and
 * compares them folded. Either way `Shop` and `shop` are then the same database.
 */

/** A name folded to lower case, as a server with `lower_case_table_names` ≠ 0 compares it. */
export const foldDatabaseName = (name: string): string => name.toLowerCase();

/**
 * The name, among `stored` (names as the server lists them), under which the server keeps `wanted`: the exact name,
 * else where the server folds names, one equal to it folded. Undefined when no stored name matches.
 */
export function findStoredDatabase(
  stored: readonly string[],
  wanted: string,
  lowerCaseTableNames: number,
): string | undefined {
  const exact = stored.find((name) => name === wanted);
  if (exact !== undefined || lowerCaseTableNames === 0) return exact;
  const folded = foldDatabaseName(wanted);
  return stored.find((name) => foldDatabaseName(name) === folded);
}

/**
 * The name a per-database lock is taken under. The API does not know the server's `lower_case_table_names`, so it
 * always locks case-insensitively: on a server that folds names, `Shop` and `shop` are one database and must share
 * a lock; on one that does not, sharing it only makes a restore into `shop` wait for one into `Shop`, which is a
 * refusal to overlap, never an overlap.
 */
export const databaseLockName = foldDatabaseName;
