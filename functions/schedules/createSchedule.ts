import { IdPathSchema } from '../../types/api.ts';
import { CreateScheduleSchema, type CreateSchedule, type Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput, type RequestContext } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `POST /v1/data-sources/{id}/schedules`: 201 with the schedule and its next runs; 404 for an unknown source. */
export async function createSchedule(
  input: HttpInput<{ id: string }, unknown, CreateSchedule>,
  ctx: RequestContext,
): Promise<Schedule> {
  return schedules.create(input.path.id, input.body, ctx.principal);
}

export const handler = httpHandler({ path: IdPathSchema, body: CreateScheduleSchema, status: 201 }, createSchedule);
