import type { Page } from '../../types/api.ts';
import { ListRestoresQuerySchema, type ListedRestore, type ListRestoresQuery } from '../../types/restore.ts';
import { cognitoClient } from '../shared/cognitoClient.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { principalNamesFromEnv, withNames } from '../shared/principalNames.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findRestores } from './restoreService.ts';

const deps = { table: tableFromEnv(), names: principalNamesFromEnv(cognitoClient) };

/** GET /v1/restores?targetSourceId&limit&cursor: newest first, naming the console users who asked for them. */
async function listRestores({ query }: HttpInput<unknown, ListRestoresQuery, unknown>): Promise<Page<ListedRestore>> {
  const page = await findRestores(deps.table, query);
  return {
    ...page,
    items: await withNames(page.items, (restore) => restore.requestedBy, deps.names, 'requestedByName'),
  };
}

export const handler = httpHandler({ query: ListRestoresQuerySchema }, listRestores);
