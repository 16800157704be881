import type { Page } from '../../types/api.ts';
import type { TrashedBackup } from '../../types/backup.ts';
import { ListTrashQuerySchema, type ListTrashQuery } from '../../types/backupApi.ts';
import { trashGraceDaysFromEnv } from '../retention/env.ts';
import { cognitoClient } from '../shared/cognitoClient.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { principalNamesFromEnv, withNames } from '../shared/principalNames.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { findTrash } from './backupQueries.ts';
import { withPurgeTime } from './trashService.ts';

const deps = {
  table: tableFromEnv(),
  graceDays: trashGraceDaysFromEnv(),
  names: principalNamesFromEnv(cognitoClient),
};

/**
 * GET /v1/trash?sourceId&limit&cursor: most recently trashed first, each with who trashed it (a console user named
 * by e-mail) and when the sweep will delete it.
 */
async function listTrash({ query }: HttpInput<unknown, ListTrashQuery, unknown>): Promise<Page<TrashedBackup>> {
  const page = await findTrash(deps.table, query);
  const items = page.items.map((backup) => withPurgeTime(backup, deps.graceDays));
  return { ...page, items: await withNames(items, (b) => b.trashedBy ?? '', deps.names, 'trashedByName') };
}

export const handler = httpHandler({ query: ListTrashQuerySchema }, listTrash);
