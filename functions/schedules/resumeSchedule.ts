import { IdPathSchema } from '../../types/api.ts';
import type { Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `POST /v1/schedules/{id}/resume`: enables the EventBridge schedule again; resuming a running one changes nothing. */
export async function resumeSchedule(
  input: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<Schedule> {
  return schedules.resume(input.path.id, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema }, resumeSchedule);
