import { IdPathSchema, type Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { SourceBackupsQuerySchema, type SourceBackupsQuery } from '../../types/backupApi.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findSourceBackups } from './backupQueries.ts';

const table = tableFromEnv();

/** GET /v1/data-sources/{id}/backups?status&from&to&limit&cursor: one source's backups, newest first. */
async function listSourceBackups({
  path,
  query,
}: HttpInput<{ id: string }, SourceBackupsQuery, unknown>): Promise<Page<Backup>> {
  return findSourceBackups(table, path.id, query);
}

export const handler = httpHandler({ path: IdPathSchema, query: SourceBackupsQuerySchema }, listSourceBackups);
