import { IdPathSchema } from '../../types/api.ts';
import { RollbackRestoreSchema, type CreateRestoreResponse, type RollbackRestore } from '../../types/restore.ts';
import { sfnClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './restoreService.ts';

const deps = {
  table: tableFromEnv(),
  sfn: sfnClient,
  stateMachineArn: requireEnv('RESTORE_STATE_MACHINE_ARN'),
  now: () => new Date(),
};

/** POST /v1/restores/{id}/rollback: 202 + the id of the restore that puts the safety backup back. */
async function rollbackRestore(
  { path, body }: HttpInput<{ id: string }, unknown, RollbackRestore>,
  ctx: RequestContext,
): Promise<CreateRestoreResponse> {
  return service.rollbackRestore(deps, { restoreId: path.id, ...body }, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema, body: RollbackRestoreSchema, status: 202 }, rollbackRestore);
