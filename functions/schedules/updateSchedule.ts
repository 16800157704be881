import { IdPathSchema } from '../../types/api.ts';
import { UpdateScheduleSchema, type Schedule, type UpdateSchedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `PATCH /v1/schedules/{id}`: changes the fields sent, here and in EventBridge Scheduler. */
export async function updateSchedule(
  input: HttpInput<{ id: string }, unknown, UpdateSchedule>,
  ctx: RequestContext,
): Promise<Schedule> {
  return schedules.update(input.path.id, input.body, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema, body: UpdateScheduleSchema }, updateSchedule);
