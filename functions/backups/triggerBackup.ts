import { IdPathSchema } from '../../types/api.ts';
import {
  IdempotencyKeySchema,
  TriggerBackupBodySchema,
  type TriggerBackupBody,
  type TriggerBackupResponse,
} from '../../types/backupApi.ts';
import { sfnClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { Invalid } from '../shared/errors.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import * as service from './triggerService.ts';

const deps = {
  table: tableFromEnv(),
  sfn: sfnClient,
  stateMachineArn: requireEnv('BACKUP_STATE_MACHINE_ARN'),
  now: () => new Date(),
};

/** The optional `Idempotency-Key` header, checked like any other input. */
function idempotencyKey(ctx: RequestContext): string | undefined {
  const raw = ctx.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'Idempotency-Key is invalid';
    throw new Invalid(`invalid header: ${message}`, { 'Idempotency-Key': message });
  }
  return parsed.data;
}

/** POST /v1/data-sources/{id}/backups: 202 + the backup's id; 409 if disabled or one is already queued or running. */
async function triggerBackup(
  { path, body }: HttpInput<{ id: string }, unknown, TriggerBackupBody>,
  ctx: RequestContext,
): Promise<TriggerBackupResponse> {
  const key = idempotencyKey(ctx);
  return service.triggerBackup(deps, {
    sourceId: path.id,
    trigger: body.trigger,
    principal: ctx.principal,
    ...(key !== undefined && { idempotencyKey: key }),
  });
}

export const handler = httpHandler({ path: IdPathSchema, body: TriggerBackupBodySchema, status: 202 }, triggerBackup);
