import { IdPathSchema } from '../../types/api.ts';
import type { Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `GET /v1/schedules/{id}`. */
export async function getSchedule(input: HttpInput<{ id: string }, unknown, unknown>): Promise<Schedule> {
  return schedules.get(input.path.id);
}

export const handler = httpHandler({ path: IdPathSchema }, getSchedule);
