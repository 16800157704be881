import { IdPathSchema } from '../../types/api.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `DELETE /v1/schedules/{id}`: 204; the EventBridge schedule goes too. */
export async function deleteSchedule(
  input: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<void> {
  await schedules.remove(input.path.id, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema, status: 204 }, deleteSchedule);
