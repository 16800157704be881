import { IdPathSchema } from '../../types/api.ts';
import type { VerifyBackupResponse } from '../../types/backupApi.ts';
import { sfnClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './verifyService.ts';

const deps = {
  table: tableFromEnv(),
  sfn: sfnClient,
  stateMachineArn: requireEnv('VERIFY_STATE_MACHINE_ARN'),
  now: () => new Date(),
};

/** POST /v1/backups/{id}/verify: 202 once the Verify state machine has started; 409 unless succeeded. */
async function verifyBackup(
  { path }: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<VerifyBackupResponse> {
  return service.verifyBackup(deps, { backupId: path.id, principal: ctx.principal });
}

export const handler = httpHandler({ path: IdPathSchema, status: 202 }, verifyBackup);
