import * as z from 'zod';
import { isKnownTimeZone, scheduleCronProblem } from './cron.ts';

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

/**
 * One piece of an event's summary as the console shows it: plain text, an entity the summary names by id ("data
 * source <uuid>", "safety backup safety-<hash>"), or a schedule's `"<cron>" <time zone>`. The writers of summaries
 * (one per service) name entities that way; reading them apart lets GET /v1/audit look the ids up and the console
 * put names and cron in words in their place, for events recorded before and after.
 */
export type SummaryPart =
  | { readonly text: string }
  | { readonly mention: AuditTargetType; readonly id: string }
  | { readonly cron: string; readonly timeZone: string };

/** The words summaries put before an id, and the kind of entity they name. */
const MENTION_WORDS: Readonly<Record<string, AuditTargetType>> = {
  'data source': 'dataSource',
  schedule: 'schedule',
  backup: 'backup',
  restore: 'restore',
};

// Only the ids Keepsake makes (random UUIDs; safety backups' `safety-` and a hash): a word after "backup" in a
// reason ("manual backup older than 30 days") is no id. A cron has at least 9 characters (`* * * * *`).
const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|safety-[0-9a-f]{32}';
const PART = new RegExp(
  `\\b(data source|schedule|backup|restore) (${ID})\\b|"([^"\\n]{9,200})" ([A-Za-z][\\w+-]*(?:/[\\w+-]+)*)`,
  'g',
);

/** `summary` split into its parts, in order; a quoted text that is not a runnable cron in a known zone stays text. */
export function summaryParts(summary: string): SummaryPart[] {
  const parts: SummaryPart[] = [];
  let at = 0;
  const text = (end: number) => {
    if (end > at) parts.push({ text: summary.slice(at, end) });
  };
  for (const match of summary.matchAll(PART)) {
    const [whole, words, id, cron, timeZone] = match;
    const part: SummaryPart | undefined =
      words !== undefined && id !== undefined
        ? { mention: MENTION_WORDS[words] as AuditTargetType, id }
        : cron !== undefined && timeZone !== undefined && isKnownTimeZone(timeZone) && !scheduleCronProblem(cron)
          ? { cron, timeZone }
          : undefined;
    if (!part) continue;
    text(match.index);
    parts.push(part);
    at = match.index + whole.length;
  }
  text(summary.length);
  return parts;
}
