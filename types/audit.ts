import * as z from 'zod';

/** One mutating call: who (the IAM or Cognito principal), what, when, and on which entity. */
export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.iso.datetime(),
    principal: z.string(),
    /** `<entity>.<verb>`, e.g. `dataSource.create`, `backup.trigger`. */
    action: z.string().regex(/^[a-zA-Z]+\.[a-zA-Z]+$/),
    targetType: z.enum(['dataSource', 'schedule', 'backup', 'restore']),
    targetId: z.string(),
    /** A short, secret-free summary (names, ids); never request bodies. */
    summary: z.string().max(500).optional(),
  })
  .strict();
export type AuditEvent = z.infer<typeof AuditEventSchema>;
