import type { AuditRef, ListedAuditEvent } from '../../types/apiAudit.ts';
import { summaryParts, type AuditTargetType } from '../../types/audit.ts';
import { RETENTION_PRINCIPAL } from '../../types/retention.ts';
import { describeCron } from './cronBuilder.ts';
import { jobTitle, shortId } from './format.ts';

/** What the audit log calls each kind of entity in its sentences. */
export const ENTITY_NOUNS: Record<AuditTargetType, string> = {
  dataSource: 'data source',
  schedule: 'schedule',
  backup: 'backup',
  restore: 'restore',
};

/** An entity that no longer exists: "deleted source (1b6f0c3e…)". */
export const deletedEntity = (type: AuditTargetType, id: string): string =>
  `deleted ${type === 'dataSource' ? 'source' : ENTITY_NOUNS[type]} (${shortId(id)}…)`;

/** A schedule's times as the Schedules page words them, with its zone: "daily at 02:00 Europe/Berlin". */
export const cronInWords = (cron: string, timeZone: string): string => `${describeCron(cron)} ${timeZone}`;

/** The ref of an entity of `event`, when it still exists. */
export const refOf = (refs: readonly AuditRef[], type: AuditTargetType, id: string): AuditRef | undefined =>
  refs.find((ref) => ref.type === type && ref.id === id);

/**
 * What the log calls an entity: a source by its name, a schedule by its name (else its times) and source, a backup
 * "source · database · time" (as its page is titled), a restore "→ source/database"; a gone one as deleted.
 */
export function entityName(refs: readonly AuditRef[], type: AuditTargetType, id: string): string {
  const ref = refOf(refs, type, id);
  if (!ref) return deletedEntity(type, id);
  if (ref.type === 'dataSource') return ref.name;
  const source = ref.sourceName ?? deletedEntity('dataSource', ref.sourceId);
  switch (ref.type) {
    case 'schedule':
      return `${ref.name ?? cronInWords(ref.cron, ref.timeZone)} · ${source}`;
    case 'backup':
      return jobTitle(source, ref.database, ref.createdAt);
    case 'restore':
      return `→ ${source}/${ref.database}`;
  }
}

/** An event's summary with names in place of the ids it mentions and a schedule's cron in words. */
export function summaryText(summary: string, refs: readonly AuditRef[]): string {
  return summaryParts(summary)
    .map((part) => {
      if ('text' in part) return part.text;
      if ('cron' in part) return cronInWords(part.cron, part.timeZone);
      const name = entityName(refs, part.mention, part.id);
      return refOf(refs, part.mention, part.id) ? `${ENTITY_NOUNS[part.mention]} ${name}` : name;
    })
    .join('');
}

/** Who did it, as a person reads it: a console user's e-mail, "Retention" for the retention sweep, else undefined. */
export function principalLabel(event: Pick<ListedAuditEvent, 'principal' | 'principalName'>): string | undefined {
  return event.principalName ?? (event.principal === RETENTION_PRINCIPAL ? 'Retention' : undefined);
}
