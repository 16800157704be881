import { PageQuerySchema, type Page, type PageQuery } from '../../types/api.ts';
import type { Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `GET /v1/schedules`: every schedule, oldest first, one page at a time. */
export async function listSchedules(input: HttpInput<unknown, PageQuery, unknown>): Promise<Page<Schedule>> {
  return schedules.list(input.query);
}

export const handler = httpHandler({ query: PageQuerySchema }, listSchedules);
