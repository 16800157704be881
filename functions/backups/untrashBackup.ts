import { IdPathSchema } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './trashService.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** POST /v1/backups/{id}/untrash: back into the lists; 409 if it is not in the trash. */
async function untrashBackup(
  { path }: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<Backup> {
  return service.untrashBackup(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema }, untrashBackup);
