import type { Page } from '../../types/api.ts';
import { ListRestoresQuerySchema, type ListRestoresQuery, type Restore } from '../../types/restore.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findRestores } from './restoreService.ts';

const table = tableFromEnv();

/** GET /v1/restores?targetSourceId&limit&cursor: newest first. */
async function listRestores({ query }: HttpInput<unknown, ListRestoresQuery, unknown>): Promise<Page<Restore>> {
  return findRestores(table, query);
}

export const handler = httpHandler({ query: ListRestoresQuerySchema }, listRestores);
