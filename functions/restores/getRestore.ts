import { IdPathSchema } from '../../types/api.ts';
import type { Restore } from '../../types/restore.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './restoreService.ts';

const table = tableFromEnv();

/** GET /v1/restores/{id}. */
async function getRestore({ path }: HttpInput<{ id: string }, unknown, unknown>): Promise<Restore> {
  return service.getRestore(table, path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, getRestore);
