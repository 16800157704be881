import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { putBackupRecords, type BackupRecord } from '../../functions/shared/repositories/backups.ts';
import { transactNamedItems } from '../../functions/shared/repositories/transactions.ts';
import { putNewSchedule } from '../../functions/shared/repositories/schedules.ts';
import { sourceStatsUpdate } from '../../functions/shared/repositories/stats.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { DEFAULT_RETENTION } from '../../types/schedule.ts';
import { backupRecord, seedSource } from '../integration/api/backupApi.ts';

/**
 * A backup history with a GFS answer worked out by hand, for the retention tests (the sweeper's handlers and
 * the Sweeper state machine). Source GFS has a Europe/Berlin schedule with the default policy (7 daily,
 * 4 weekly, 6 monthly) and 120 nightly backups at 22:30 UTC, 2026-01-05 … 2026-05-04. In Berlin that is 23:30
 * CET on the same date until the clocks spring forward on Sun 2026-03-29, then 00:30 CEST on the NEXT date:
 * local Mar 29 has no backup, and the newest (UTC May 4) is local Tue May 5. Source PLAIN has no schedule:
 * DEFAULT_RETENTION from the environment applies, in UTC.
 */
export interface HistorySources {
  readonly gfs: string;
  readonly plain: string;
}

/** The GFS set, by UTC date of the 22:30 UTC backup, worked out on a calendar (local dates in Berlin). */
export const EXPECTED_KEPT_UTC_DATES: readonly string[] = [
  // daily 7: local May 5, 4, 3, 2, 1, Apr 30, Apr 29
  '2026-05-04',
  '2026-05-03',
  '2026-05-02',
  '2026-05-01',
  '2026-04-30',
  '2026-04-29',
  '2026-04-28',
  // weekly 4 (ISO weeks, Monday start): May 4–10 → local May 5 (already daily); Apr 27 – May 3 → local Sun May 3
  // (already daily); Apr 20–26 → local Sun Apr 26; Apr 13–19 → local Sun Apr 19
  '2026-04-25',
  '2026-04-18',
  // monthly 6 (only 5 months have backups): May → local May 5, Apr → local Apr 30 (both already kept);
  // Mar → local Mar 31 (UTC Mar 30, CEST); Feb → Feb 28 (CET, same date); Jan → Jan 31
  '2026-03-30',
  '2026-02-28',
  '2026-01-31',
];

export const DAY_MS = 86_400_000;
const FIRST = Date.parse('2026-01-05T22:30:00.000Z');
export const nightlyId = (utcDate: string): string => `nightly-${utcDate}`;

export interface BackupHistory {
  /** The 120 succeeded nightly backups of GFS, oldest first. */
  readonly nightly: readonly BackupRecord[];
  /** GFS backups retention must never touch: failed, cancelled and running ones (two newer than every success). */
  readonly untouchable: readonly BackupRecord[];
  /** Four succeeded backups of PLAIN, one a day at noon UTC, 2026-04-01 … 04. */
  readonly plain: readonly BackupRecord[];
}

/**
 * Puts the records into the table and the objects of those with an `s3Key` (random bytes, `compressedBytes`
 * long) into the bucket, and adds every succeeded one (trashed too: its object is still stored) to its
 * source's stored totals, as the runner and the API would have.
 */
export async function seedWithObjects(
  table: TableRef,
  s3: S3Client,
  bucket: string,
  records: readonly BackupRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 10) {
    await Promise.all(
      records
        .slice(i, i + 10)
        .map((r) =>
          r.s3Key
            ? s3.send(new PutObjectCommand({ Bucket: bucket, Key: r.s3Key, Body: randomBytes(r.compressedBytes ?? 0) }))
            : undefined,
        ),
    );
  }
  await putBackupRecords(table, records);
  const totals = new Map<string, { storedBytes: number; storedBackups: number }>();
  for (const r of records.filter((record) => record.status === 'succeeded')) {
    const total = totals.get(r.sourceId) ?? { storedBytes: 0, storedBackups: 0 };
    totals.set(r.sourceId, {
      storedBytes: total.storedBytes + (r.compressedBytes ?? 0),
      storedBackups: total.storedBackups + 1,
    });
  }
  if (totals.size > 0)
    await transactNamedItems(table, {
      sourceStats: [...totals].map(([sourceId, change]) => sourceStatsUpdate(table, sourceId, change)),
    });
}

/**
 * Seeds both sources, GFS's schedule and the history described above, objects included. Objects are keyed by
 * source id and test files share one bucket: each file names its own sources.
 */
export async function seedBackupHistory(
  table: TableRef,
  s3: S3Client,
  bucket: string,
  sources: HistorySources,
): Promise<BackupHistory> {
  const { gfs, plain: plainSource } = sources;
  await seedSource(table, gfs);
  await seedSource(table, plainSource);
  await transactNamedItems(table, {
    schedule: putNewSchedule(table, {
      id: 'sweep-nightly',
      sourceId: gfs,
      cron: '30 23 * * *',
      timeZone: 'Europe/Berlin',
      enabled: true,
      retention: { ...DEFAULT_RETENTION },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
    }),
  });

  const nightly: BackupRecord[] = [];
  for (let day = 0; day < 120; day++) {
    const createdAt = new Date(FIRST + day * DAY_MS).toISOString();
    nightly.push(
      backupRecord({ id: nightlyId(createdAt.slice(0, 10)), sourceId: gfs, createdAt, compressedBytes: 100 + day }),
    );
  }
  const untouchable = [
    backupRecord({
      id: 'failed-feb',
      sourceId: gfs,
      status: 'failed',
      createdAt: '2026-02-10T22:30:00.000Z',
      error: 'boom',
    }),
    backupRecord({ id: 'cancelled-apr', sourceId: gfs, status: 'cancelled', createdAt: '2026-04-02T22:30:00.000Z' }),
    // Newer than every succeeded one: neither counts as a day nor takes the "newest" slot.
    backupRecord({
      id: 'failed-newest',
      sourceId: gfs,
      status: 'failed',
      createdAt: '2026-05-05T22:30:00.000Z',
      error: 'boom',
    }),
    backupRecord({
      id: 'running-now',
      sourceId: gfs,
      status: 'running',
      createdAt: '2026-05-05T23:00:00.000Z',
      startedAt: '2026-05-05T23:00:00.000Z',
    }),
  ];
  await seedWithObjects(table, s3, bucket, [...nightly, ...untouchable]);

  const plain = ['2026-04-01', '2026-04-02', '2026-04-03', '2026-04-04'].map((d, i) =>
    backupRecord({ id: `plain-${d}`, sourceId: plainSource, createdAt: `${d}T12:00:00.000Z`, compressedBytes: 50 + i }),
  );
  await seedWithObjects(table, s3, bucket, plain);
  return { nightly, untouchable, plain };
}

/** The keys under `prefix` in the bucket, sorted (one page: the histories here stay below 1,000 objects). */
export async function objectKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}
