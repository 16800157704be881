import type { Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { ListBackupsQuerySchema, type ListBackupsQuery } from '../../types/backupApi.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findBackups } from './backupQueries.ts';

const table = tableFromEnv();

/** GET /v1/backups?sourceId&status&from&to&limit&cursor: newest first, one Query whatever the filters. */
async function listBackups({ query }: HttpInput<unknown, ListBackupsQuery, unknown>): Promise<Page<Backup>> {
  return findBackups(table, query);
}

export const handler = httpHandler({ query: ListBackupsQuerySchema }, listBackups);
