import { CreateRestoreSchema, type CreateRestore, type CreateRestoreResponse } from '../../types/restore.ts';
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

/** POST /v1/restores: 202 + the restore's id once the Restore state machine has started. */
async function createRestore(
  { body }: HttpInput<unknown, unknown, CreateRestore>,
  ctx: RequestContext,
): Promise<CreateRestoreResponse> {
  return service.createRestore(deps, body, ctx.principal);
}

export const handler = httpHandler({ body: CreateRestoreSchema, status: 202 }, createRestore);
