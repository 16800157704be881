import { IdPathSchema } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as queries from './backupQueries.ts';

const table = tableFromEnv();

/** GET /v1/backups/{id}: in the trash or not. */
async function getBackup({ path }: HttpInput<{ id: string }, unknown, unknown>): Promise<Backup> {
  return queries.getBackup(table, path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, getBackup);
