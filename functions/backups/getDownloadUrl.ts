import { IdPathSchema } from '../../types/api.ts';
import type { DownloadUrlResponse } from '../../types/backupApi.ts';
import { s3Client } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './downloadService.ts';

const deps = { table: tableFromEnv(), s3: s3Client, bucket: requireEnv('BACKUP_BUCKET_NAME'), now: () => new Date() };

/** GET /v1/backups/{id}/download-url: a presigned GET valid 5 minutes; 409 unless the backup succeeded. */
async function getDownloadUrl(
  { path }: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<DownloadUrlResponse> {
  return service.downloadUrl(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema }, getDownloadUrl);
