import { IdPathSchema } from '../../types/api.ts';
import type { ListedRestore } from '../../types/restore.ts';
import { cognitoClient } from '../shared/cognitoClient.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { principalNamesFromEnv, withNames } from '../shared/principalNames.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './restoreService.ts';

const deps = { table: tableFromEnv(), names: principalNamesFromEnv(cognitoClient) };

/** GET /v1/restores/{id}, naming the console user who asked for it. */
async function getRestore({ path }: HttpInput<{ id: string }, unknown, unknown>): Promise<ListedRestore> {
  const [named] = await withNames(
    [await service.getRestore(deps.table, path.id)],
    (restore) => restore.requestedBy,
    deps.names,
    'requestedByName',
  );
  return named as ListedRestore;
}

export const handler = httpHandler({ path: IdPathSchema }, getRestore);
