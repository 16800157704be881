import { IdPathSchema } from '../../types/api.ts';
import { s3Client } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './trashService.ts';

const deps = { table: tableFromEnv(), now: () => new Date(), s3: s3Client, bucket: requireEnv('BACKUP_BUCKET_NAME') };

/** DELETE /v1/backups/{id}: only from the trash; deletes the object, then the record (204). */
async function deleteBackup({ path }: HttpInput<{ id: string }, unknown, unknown>, ctx: RequestContext): Promise<void> {
  await service.deleteBackup(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema, status: 204 }, deleteBackup);
