import * as z from 'zod';

/** The kinds of entity an audit event can be about. */
export const AuditTargetTypeSchema = z.enum(['dataSource', 'schedule', 'backup', 'restore'], { error: 'targetType must be dataSource, schedule, backup or restore' });
export type AuditTargetType = z.infer<typeof AuditTargetTypeSchema>;

/** One mutating call: who (the IAM or Cognito principal), what, when, and on which entity. */
export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    principal: z.string(),
    /** `<entity>.<verb>`, e.g. `dataSource.create`, `backup.trigger`. */
    action: z.string().regex(/^[a-zA-Z]+\.[a-zA-Z]+$/),
    targetType: AuditTargetTypeSchema,
    targetId: z.string(),
    /** A short, secret-free summary (names, ids); never request bodies. */
    summary: z.string().max(500).optional(),
  })
  .strict();
export type AuditEvent = z.infer<typeof AuditEventSchema>;
