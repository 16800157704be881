import * as z from 'zod';
import { PageQuerySchema, fromBeforeTo, fromBeforeToIssue, pageOf, rangeBound } from './api.ts';
import { AuditEventSchema, AuditTargetTypeSchema } from './audit.ts';
import { IdSchema } from './dataSource.ts';

/**
 * `GET /v1/audit`: newest first, every filter optional and any combination: a time range (`from`, `to`), one
 * principal, one kind of entity (`targetType`) or one entity (`targetType` + `targetId`).
 */
export const ListAuditQuerySchema = PageQuerySchema.extend({
  from: rangeBound('from').optional(),
  to: rangeBound('to').optional(),
  principal: z
    .string()
    .min(1, 'principal must not be empty')
    .max(2048, 'principal must be at most 2048 characters')
    .optional(),
  targetType: AuditTargetTypeSchema.optional(),
  targetId: IdSchema.optional(),
})
  .refine(fromBeforeTo, fromBeforeToIssue)
  // Ids are unique only within their kind of entity.
  .refine((q) => q.targetId === undefined || q.targetType !== undefined, {
    path: ['targetId'],
    message: 'targetId needs targetType',
  });
export type ListAuditQuery = z.infer<typeof ListAuditQuerySchema>;

/** What the repository filters by. */
export type AuditFilter = Omit<ListAuditQuery, 'limit' | 'cursor'>;

/**
 * One event as `GET /v1/audit` lists it: `principalName` is the e-mail address of a console user's principal,
 * looked up when the log is read; absent for other principals and for people the user pool could not name (deleted,
 * or the lookup failed).
 */
export const ListedAuditEventSchema = AuditEventSchema.extend({ principalName: z.string().optional() });
export type ListedAuditEvent = z.infer<typeof ListedAuditEventSchema>;

/** Response of `GET /v1/audit`: one page of events, newest first. */
export const AuditPageSchema = pageOf(ListedAuditEventSchema);
