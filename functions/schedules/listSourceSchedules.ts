import { IdPathSchema, PageQuerySchema, type Page, type PageQuery } from '../../types/api.ts';
import type { Schedule } from '../../types/schedule.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { schedules } from './runtime.ts';

/** `GET /v1/data-sources/{id}/schedules`: the schedules of one source, oldest first; 404 for an unknown source. */
export async function listSourceSchedules(
  input: HttpInput<{ id: string }, PageQuery, unknown>,
): Promise<Page<Schedule>> {
  return schedules.listOf(input.path.id, input.query);
}

export const handler = httpHandler({ path: IdPathSchema, query: PageQuerySchema }, listSourceSchedules);
