import * as z from 'zod';

/** The kinds of entity an audit event can be about. */
export const AuditTargetTypeSchema = z.enum(['dataSource', 'schedule', 'backup', 'restore'], {
  error: 'targetType must be dataSource, schedule, backup or restore',
});
export type AuditTargetType = z.infer<typeof AuditTargetTypeSchema>;

/**
 * How a console user is recorded as a principal: `cognito:<sub>`, the user pool's id for the person, which stays
 * the same when their e-mail address changes. GET /v1/audit names them by e-mail when it reads the log.
 */
export const cognitoPrincipal = (sub: string): string => `cognito:${sub}`;

/** The user pool `sub` of a console user's principal; undefined for any other principal (an IAM ARN, `keepsake:…`). */
export function cognitoSubOf(principal: string): string | undefined {
  return /^cognito:([^/,:]+)$/.exec(principal)?.[1];
}

/** One mutating call: who (a console user's `cognito:<sub>`, else the IAM principal), what, when, and on which entity. */
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
