import { IdPathSchema } from '../../types/api.ts';
import type { Backup } from '../../types/backup.ts';
import { sfnClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './runService.ts';

const deps = {
  table: tableFromEnv(),
  sfn: sfnClient,
  stateMachineArn: requireEnv('BACKUP_STATE_MACHINE_ARN'),
  now: () => new Date(),
};

/** POST /v1/backups/{id}/cancel: stops the execution and records the backup as cancelled; 409 unless queued or running. */
async function cancelBackup(
  { path }: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<Backup> {
  return service.cancelBackup(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema }, cancelBackup);
