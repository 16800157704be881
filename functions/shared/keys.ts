import { databaseLockName } from '../../types/databaseNames.ts';
import { Invalid } from './errors.ts';

/**
 * Key design of the one Keepsake table. Every entity has its own partition (`pk` = `TYPE#id`, `sk` = `TYPE`)
 * so a get is one GetItem; every list the console shows is a Query on a GSI, newest first where time matters
 * (sort keys start with an ISO timestamp, so `ScanIndexForward: false` and BETWEEN give date ranges).
 *
 * | entity / item      | pk                    | sk          | gsi1pk / gsi1sk            | gsi2pk / gsi2sk                      | gsi3pk / gsi3sk                 | gsi4pk / gsi4sk            |
 * |--------------------|-----------------------|-------------|----------------------------|--------------------------------------|---------------------------------|----------------------------|
 * | DataSource         | SOURCE#id             | SOURCE      | SOURCES / name#id          |                                      |                                 |                            |
 * | Schedule           | SCHEDULE#id           | SCHEDULE    | SCHEDULES / createdAt#id   | SOURCE#sid#SCHEDULES / createdAt#id  |                                 |                            |
 * | Backup             | BACKUP#id             | BACKUP      | BACKUPS / createdAt#id     | SOURCE#sid#BACKUPS / createdAt#id    | STATUS#st / createdAt#id        | SOURCE#sid#STATUS#st / …   |
 * | Backup in trash    | BACKUP#id             | BACKUP      | TRASH / trashedAt#id       | SOURCE#sid#TRASH / trashedAt#id      | (removed)                       | (removed)                  |
 * | Running lock       | SOURCE#sid            | RUNNING     | (lockName: db folded)      |                                      |                                 |                            |
 * | Restore lock       | SOURCE#target         | RESTORING#db| (db folded)                |                                      |                                 |                            |
 * | Restore            | RESTORE#id            | RESTORE     | RESTORES / createdAt#id    | SOURCE#target#RESTORES / createdAt#id|                                 |                            |
 * | AuditEvent         | AUDIT#id              | AUDIT       | AUDIT / at#id              | AUDIT#TARGET#type#tid / at#id        | AUDIT#TYPE#type / at#id         | AUDIT#BY#principal / at#id |
 * | Idempotency record | IDEMPOTENCY#key       | IDEMPOTENCY | (TTL expiresAt)            |                                      |                                 |                            |
 * | Daily counters     | STATS                 | DAY#date    |                            |                                      |                                 |                            |
 * | Per-source stats   | STATS                 | SOURCE#sid  |                            |                                      |                                 |                            |
 *
 * Access patterns: list sources by name (gsi1 SOURCES); schedules all / per source (gsi1, gsi2); backups all,
 * per source, per status, per source+status, each newest first with an optional date range (gsi1-4); trash
 * all / per source; restores all / per target; audit newest first, all, per entity, per kind of entity or per
 * principal, each with an optional date range (gsi1-4); "is a backup of this source running"
 * (GetItem of the lock, taken in the same transaction that creates the backup); "is a restore writing into this
 * database" (the restore lock, taken with the restore and released when it ends); dashboard stats (Query pk STATS).
 * A backup and a restore of one database exclude each other: the backup's transaction checks the restore lock of
 * its database, the restore's checks the source's running lock and the database it names. Database names in locks
 * are folded (`databaseLockName`), since the server may hold `Shop` and `shop` as one database.
 */
export const keys = {
  dataSource: (id: string) => ({ pk: `SOURCE#${id}`, sk: 'SOURCE' }),
  schedule: (id: string) => ({ pk: `SCHEDULE#${id}`, sk: 'SCHEDULE' }),
  backup: (id: string) => ({ pk: `BACKUP#${id}`, sk: 'BACKUP' }),
  runningLock: (sourceId: string) => ({ pk: `SOURCE#${sourceId}`, sk: 'RUNNING' }),
  restoreLock: (targetSourceId: string, database: string) => ({
    pk: `SOURCE#${targetSourceId}`,
    sk: `RESTORING#${databaseLockName(database)}`,
  }),
  restore: (id: string) => ({ pk: `RESTORE#${id}`, sk: 'RESTORE' }),
  audit: (id: string) => ({ pk: `AUDIT#${id}`, sk: 'AUDIT' }),
  idempotency: (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' }),
  statsDay: (day: string) => ({ pk: 'STATS', sk: `DAY#${day}` }),
  statsSource: (sourceId: string) => ({ pk: 'STATS', sk: `SOURCE#${sourceId}` }),
} as const;

/** GSI partition values, one per collection the API lists. */
export const collections = {
  sources: 'SOURCES',
  schedules: 'SCHEDULES',
  schedulesOf: (sourceId: string) => `SOURCE#${sourceId}#SCHEDULES`,
  backups: 'BACKUPS',
  backupsOf: (sourceId: string) => `SOURCE#${sourceId}#BACKUPS`,
  backupsWithStatus: (status: string) => `STATUS#${status}`,
  backupsOfWithStatus: (sourceId: string, status: string) => `SOURCE#${sourceId}#STATUS#${status}`,
  trash: 'TRASH',
  trashOf: (sourceId: string) => `SOURCE#${sourceId}#TRASH`,
  restores: 'RESTORES',
  restoresInto: (sourceId: string) => `SOURCE#${sourceId}#RESTORES`,
  audit: 'AUDIT',
  auditOf: (targetType: string, targetId: string) => `AUDIT#TARGET#${targetType}#${targetId}`,
  auditOfType: (targetType: string) => `AUDIT#TYPE#${targetType}`,
  auditBy: (principal: string) => `AUDIT#BY#${principal}`,
} as const;

/** Sort key that orders by time, ties broken by id. */
export const timeSortKey = (isoTime: string, id: string): string => `${isoTime}#${id}`;

/**
 * Cursors are the query's LastEvaluatedKey, base64url-encoded JSON: opaque to clients and checked on the way
 * back in, so a tampered cursor is a 400, not a 500.
 */
export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string')
    ) {
      return value as Record<string, string>;
    }
  } catch {
    // fall through
  }
  throw new Invalid('cursor is not one this API issued', { cursor: 'is not one this API issued' });
}
