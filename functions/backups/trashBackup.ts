import { IdPathSchema } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './trashService.ts';

const deps = { table: tableFromEnv(), now: () => new Date() };

/** POST /v1/backups/{id}/trash: 409 while queued or running, or if already in the trash. */
async function trashBackup(
  { path }: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<Backup> {
  return service.trashBackup(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema }, trashBackup);
