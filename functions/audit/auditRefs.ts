import type { AuditRef } from '../../types/apiAudit.ts';
import { summaryParts, type AuditEvent, type AuditTargetType } from '../../types/audit.ts';
import { getBackupRecord } from '../shared/repositories/backups.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import { getRestoreRecord } from '../shared/repositories/restores.ts';
import { getSchedule } from '../shared/repositories/schedules.ts';
import type { TableRef } from '../shared/repositories/table.ts';

type Mention = { readonly type: AuditTargetType; readonly id: string };
const refKey = ({ type, id }: Mention) => `${type}:${id}`;

/** The entities an event is about or names in its summary. */
function mentionsOf(event: AuditEvent): Mention[] {
  const inSummary = summaryParts(event.summary ?? '').flatMap((part) =>
    'mention' in part ? [{ type: part.mention, id: part.id }] : [],
  );
  return [{ type: event.targetType, id: event.targetId }, ...inSummary];
}

/** An entity as it is today, without its source's name; undefined when it no longer exists. */
async function lookUp(table: TableRef, { type, id }: Mention): Promise<AuditRef | undefined> {
  switch (type) {
    case 'dataSource': {
      const source = await getDataSource(table, id);
      return source && { type, id, name: source.name };
    }
    case 'schedule': {
      const schedule = await getSchedule(table, id);
      return (
        schedule && {
          type,
          id,
          ...(schedule.name !== undefined && { name: schedule.name }),
          cron: schedule.cron,
          timeZone: schedule.timeZone,
          sourceId: schedule.sourceId,
        }
      );
    }
    case 'backup': {
      const backup = await getBackupRecord(table, id);
      return backup && { type, id, sourceId: backup.sourceId, database: backup.database, createdAt: backup.createdAt };
    }
    case 'restore': {
      const restore = await getRestoreRecord(table, id);
      return restore && { type, id, sourceId: restore.targetSourceId, database: restore.targetDatabase };
    }
  }
}

/**
 * Each of `events` with the refs of what it is about and mentions (see AuditRefSchema): every distinct entity of
 * the page is read once, in parallel, then the sources of schedules, backups and restores not read already. A
 * read that fails fails the call: an entity must not look deleted because DynamoDB throttled.
 */
export async function withRefs<T extends AuditEvent>(
  table: TableRef,
  events: readonly T[],
): Promise<(T & { refs: AuditRef[] })[]> {
  const mentions = new Map(events.flatMap(mentionsOf).map((mention) => [refKey(mention), mention]));
  const found = new Map<string, AuditRef>();
  const read = async (wanted: Iterable<Mention>) => {
    const refs = await Promise.all([...wanted].map((mention) => lookUp(table, mention)));
    for (const ref of refs) if (ref) found.set(refKey(ref), ref);
  };
  await read(mentions.values());
  const sources = new Map(
    [...found.values()].flatMap((ref) =>
      'sourceId' in ref && !mentions.has(refKey({ type: 'dataSource', id: ref.sourceId }))
        ? [[ref.sourceId, { type: 'dataSource', id: ref.sourceId } as const]]
        : [],
    ),
  );
  await read(sources.values());
  const named = (ref: AuditRef): AuditRef => {
    if (!('sourceId' in ref)) return ref;
    const source = found.get(refKey({ type: 'dataSource', id: ref.sourceId }));
    return source?.type === 'dataSource' ? { ...ref, sourceName: source.name } : ref;
  };
  return events.map((event) => {
    const refs = [...new Map(mentionsOf(event).map((mention) => [refKey(mention), mention])).values()].flatMap(
      (mention) => {
        const ref = found.get(refKey(mention));
        return ref ? [named(ref)] : [];
      },
    );
    return { ...event, refs };
  });
}
