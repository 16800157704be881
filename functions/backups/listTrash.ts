import type { Page } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { ListTrashQuerySchema, type ListTrashQuery } from '../../types/backupApi.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findTrash } from './backupQueries.ts';

const table = tableFromEnv();

/** GET /v1/trash?sourceId&limit&cursor: most recently trashed first. */
async function listTrash({ query }: HttpInput<unknown, ListTrashQuery, unknown>): Promise<Page<Backup>> {
  return findTrash(table, query);
}

export const handler = httpHandler({ query: ListTrashQuerySchema }, listTrash);
