import * as z from 'zod';
import { PageQuerySchema, fromBeforeTo, fromBeforeToIssue, pageOf, rangeBound } from './api.ts';
import { AuditEventSchema, AuditTargetTypeSchema } from './audit.ts';
import { IdSchema } from './dataSource.ts';

/**
 * `GET /v1/audit`: newest first, every filter optional and any combination: a time range (`from`, `to`), one
 * principal, exactly (`principal`) or by a part of it or of a console user's e-mail address in any case
 * (`principalContains`), one kind of entity (`targetType`) or one entity (`targetType` + `targetId`).
 */
export const ListAuditQuerySchema = PageQuerySchema.extend({
  from: rangeBound('from').optional(),
  to: rangeBound('to').optional(),
  principal: z
    .string()
    .min(1, 'principal must not be empty')
    .max(2048, 'principal must be at most 2048 characters')
    .optional(),
  principalContains: z
    .string()
    .trim()
    .min(1, 'principalContains must not be empty')
    .max(320, 'principalContains must be at most 320 characters')
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

/** The data source a backup, restore or schedule belongs to, named when it still exists. */
const OfSource = { sourceId: IdSchema, sourceName: z.string().optional() };

/**
 * What an entity an event is about or mentions (its target, the ids in its summary: see `summaryParts`) is today,
 * looked up as the log is read: enough to name it ("source · database · time" for a backup, "→ source/database"
 * for a restore, a schedule's name or cron and zone). An entity that no longer exists has no ref.
 */
export const AuditRefSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dataSource'), id: IdSchema, name: z.string() }),
  z.object({
    type: z.literal('schedule'),
    id: IdSchema,
    name: z.string().optional(),
    cron: z.string(),
    timeZone: z.string(),
    ...OfSource,
  }),
  z.object({ type: z.literal('backup'), id: IdSchema, database: z.string(), createdAt: z.iso.datetime(), ...OfSource }),
  /** `sourceId` and `database` are the restore's target: where it wrote. */
  z.object({ type: z.literal('restore'), id: IdSchema, database: z.string(), ...OfSource }),
]);
export type AuditRef = z.infer<typeof AuditRefSchema>;

/**
 * One event as `GET /v1/audit` lists it: `principalName` is the e-mail address of a console user's principal,
 * looked up when the log is read; absent for other principals and for people the user pool could not name (deleted,
 * or the lookup failed). `refs` names the entities the event is about or mentions that still exist.
 */
export const ListedAuditEventSchema = AuditEventSchema.extend({
  principalName: z.string().optional(),
  refs: z.array(AuditRefSchema),
});
export type ListedAuditEvent = z.infer<typeof ListedAuditEventSchema>;

/** Response of `GET /v1/audit`: one page of events, newest first. */
export const AuditPageSchema = pageOf(ListedAuditEventSchema);
