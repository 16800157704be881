import { IdPathSchema } from '../../types/api.ts';
import type { Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `POST /v1/schedules/{id}/pause`: disables the EventBridge schedule; pausing a paused schedule changes nothing. */
export async function pauseSchedule(
  input: HttpInput<{ id: string }, unknown, unknown>,
  ctx: RequestContext,
): Promise<Schedule> {
  return schedules.pause(input.path.id, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema }, pauseSchedule);
