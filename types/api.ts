import * as z from 'zod';
import { IdSchema } from './dataSource.ts';

/** Every error response: a message and, for invalid input, one readable message per bad field. */
export const ErrorResponseSchema = z.object({
  error: z.string(),
  fields: z.record(z.string(), z.string()).optional(),
});
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/** Opaque pagination cursor: clients pass back `nextCursor` unchanged. */
export const CursorSchema = z
  .string()
  .max(2048, 'cursor is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'cursor is not one this API issued');

export const PageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be 1-100')
    .max(100, 'limit must be 1-100')
    .default(25),
  cursor: CursorSchema.optional(),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date-range bound of a time-ordered list: an ISO date (`2026-01-31`, the whole day) or date-time with offset,
 * normalized to the UTC `toISOString()` form the list's sort keys start with, so it compares with them as a string.
 */
export function rangeBound(name: 'from' | 'to') {
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: `${name} must be an ISO date (2026-01-31) or date-time (2026-01-31T12:00:00Z)`,
    })
    .transform((value) => {
      if (DATE_ONLY.test(value)) return `${value}T${name === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`;
      return new Date(value).toISOString();
    });
}

/** With `fromBeforeToIssue`, the refinement of a query with both bounds: an empty range is a mistake, not an empty page. */
export const fromBeforeTo = (q: { from?: string; to?: string }) =>
  q.from === undefined || q.to === undefined || q.from <= q.to;
export const fromBeforeToIssue = { path: ['from'], message: 'from must not be after to' };

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() });
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** Every page of a cursor-paged list, concatenated (for lists that must be seen whole: a sweep, a recovery). */
export async function allPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

/** Path parameter `{id}` of every entity route. */
export const IdPathSchema = z.object({ id: IdSchema });
