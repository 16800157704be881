import type { Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import type { ListBackupsQuery, ListTrashQuery, SourceBackupsQuery } from '../../types/backupApi.ts';
import type { LogPage } from '../../types/jobLogs.ts';
import { NotFound } from '../shared/errors.ts';
import { logPageOf, type JobLogs } from '../shared/jobLogs.ts';
import { ACTIVE_STATUSES, getBackupRecord, listBackups, listTrash, toBackup } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import type { TableRef } from '../shared/repositories/table.ts';

/** One backup, in the trash or not. */
export async function getBackup(table: TableRef, id: string): Promise<Backup> {
  const record = await getBackupRecord(table, id);
  if (!record) throw new NotFound('backup', id);
  return toBackup(record);
}

/**
 * `GET /v1/backups/{id}/logs`: the runner's lines of the execution that ran the backup, found by the execution
 * ARN its first step recorded (a scheduled run's execution is not named after the backup). None while queued.
 */
export async function getBackupLogs(
  deps: { readonly table: TableRef; readonly logs: JobLogs },
  id: string,
  cursor?: string,
): Promise<LogPage> {
  const record = await getBackupRecord(deps.table, id);
  if (!record) throw new NotFound('backup', id);
  const running = (ACTIVE_STATUSES as readonly string[]).includes(record.status);
  const search = record.executionArn
    ? {
        executionArn: record.executionArn,
        since: record.startedAt ?? record.createdAt,
        ...(!running && record.finishedAt && { until: record.finishedAt }),
      }
    : undefined;
  return logPageOf(deps.logs, search, running, cursor);
}

/** `GET /v1/backups`: one Query on the index that serves the filters (see `backupListQuery`). */
export function findBackups(table: TableRef, query: ListBackupsQuery): Promise<Page<Backup>> {
  const { limit, cursor, ...filter } = query;
  return listBackups(table, filter, { limit, ...(cursor !== undefined && { cursor }) });
}

/** `GET /v1/data-sources/{id}/backups`: a source that does not exist is a 404, not an empty page. */
export async function findSourceBackups(
  table: TableRef,
  sourceId: string,
  query: SourceBackupsQuery,
): Promise<Page<Backup>> {
  if (!(await getDataSource(table, sourceId))) throw new NotFound('data source', sourceId);
  return findBackups(table, { ...query, sourceId });
}

/** `GET /v1/trash`. */
export function findTrash(table: TableRef, query: ListTrashQuery): Promise<Page<Backup>> {
  return listTrash(table, query.sourceId, {
    limit: query.limit,
    ...(query.cursor !== undefined && { cursor: query.cursor }),
  });
}
