import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { trashBackup } from '../../functions/backups/trashService.ts';
import { createRestore } from '../../functions/restores/restoreService.ts';
import { gfsReason } from '../../functions/retention/retentionService.ts';
import { scheduleService } from '../../functions/schedules/scheduleService.ts';
import { putBackupRecords, type BackupRecord } from '../../functions/shared/repositories/backups.ts';
import { deleteDataSourceItem } from '../../functions/shared/repositories/dataSources.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { RETENTION_PRINCIPAL } from '../../types/retention.ts';
import { DEFAULT_RETENTION, type CreateScheduleInput, CreateScheduleSchema } from '../../types/schedule.ts';
import { backupRecord, seedSource } from '../integration/api/backupApi.ts';

export const SHOP_NAME = 'Shop (production)';

/** What `givenAuditHistory` made, to look for by name in the audit log. */
export interface AuditHistory {
  /** A source that still exists, SHOP_NAME, database `shop`. */
  readonly shopId: string;
  /** A source deleted after its schedule and backup were made: the schedule was removed first, the backup stays. */
  readonly goneId: string;
  /** Unnamed, `30 1 * * 1,3` in Europe/Berlin, on the shop. */
  readonly weeklyId: string;
  /** "Nightly", `0 2 * * *` in UTC, on the deleted source, removed before it. */
  readonly nightlyId: string;
  /** The shop's `shop` database, created 2026-03-01T10:00Z, restored into `shop_copy`. */
  readonly backup: BackupRecord;
  /** The deleted source's backup, moved to the trash by retention. */
  readonly goneBackup: BackupRecord;
  readonly restoreId: string;
  /** The reason retention gave. */
  readonly retentionReason: string;
}

/**
 * An audit log as Keepsake's own services write it (the schedule service, the restore service with Step Functions
 * stubbed, the trash as retention calls it), with ids that are UUIDs as in AWS: `scheduler` and `otherScheduler` make
 * a schedule each (the other's removed again), `restorer` restores a backup, retention trashes a backup of a
 * source that is then deleted.
 */
export async function givenAuditHistory(
  table: TableRef,
  principals: { readonly scheduler: string; readonly otherScheduler: string; readonly restorer: string },
): Promise<AuditHistory> {
  const shop = await seedSource(table, crypto.randomUUID(), { name: SHOP_NAME });
  const gone = await seedSource(table, crypto.randomUUID(), { name: 'Legacy CRM' });
  const schedules = scheduleService(table, {
    create: () => Promise.resolve(),
    update: () => Promise.resolve(),
    delete: () => Promise.resolve(),
  });
  const schedule = (body: CreateScheduleInput) => CreateScheduleSchema.parse(body);
  const weekly = await schedules.create(
    shop.id,
    schedule({ cron: '30 1 * * 1,3', timeZone: 'Europe/Berlin' }),
    principals.scheduler,
  );
  const nightly = await schedules.create(
    gone.id,
    schedule({ name: 'Nightly', cron: '0 2 * * *', timeZone: 'UTC' }),
    principals.otherScheduler,
  );
  const backup = backupRecord({ sourceId: shop.id, createdAt: '2026-03-01T10:00:00.000Z' });
  const goneBackup = backupRecord({ sourceId: gone.id, createdAt: '2026-03-01T11:00:00.000Z' });
  await putBackupRecords(table, [backup, goneBackup]);

  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:r:x' });
  const { restoreId } = await createRestore(
    {
      table,
      sfn: new SFNClient({ region: 'us-east-1' }),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-restore',
      now: () => new Date(),
    },
    { backupId: backup.id, targetSourceId: shop.id, targetDatabase: 'shop_copy', confirmDatabase: 'shop_copy' },
    principals.restorer,
  );
  sfn.restore();

  const retentionReason = gfsReason({ retention: { ...DEFAULT_RETENTION, keepLast: 3 }, timeZone: 'UTC' });
  await trashBackup(
    { table, now: () => new Date() },
    { backupId: goneBackup.id, principal: RETENTION_PRINCIPAL, reason: retentionReason },
  );
  // The schedule goes, then its source; the backups stay, as when a source is deleted.
  await schedules.remove(nightly.id, principals.otherScheduler);
  await deleteDataSourceItem(table, gone.id);
  return {
    shopId: shop.id,
    goneId: gone.id,
    weeklyId: weekly.id,
    nightlyId: nightly.id,
    backup,
    goneBackup,
    restoreId,
    retentionReason,
  };
}
