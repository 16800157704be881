import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Page } from '../../../types/api.ts';
import type { AuditFilter } from '../../../types/apiAudit.ts';
import { AuditEventSchema, type AuditEvent } from '../../../types/audit.ts';
import { collections, keys, timeSortKey } from '../keys.ts';
import { queryCollectionPage, timeRange } from './collectionQuery.ts';
import type { IndexQuery, TableRef } from './table.ts';

export type AuditInput = Omit<AuditEvent, 'id' | 'at'>;

/**
 * The item for one audit event, to put alone or inside the transaction that makes the change it records. It is
 * listed by time in every collection a filter reads (see `auditListQuery`).
 */
export function auditItem(input: AuditInput, at: Date = new Date()): Record<string, unknown> {
  const event: AuditEvent = AuditEventSchema.parse({ id: randomUUID(), at: at.toISOString(), ...input });
  const sort = timeSortKey(event.at, event.id);
  return {
    ...keys.audit(event.id),
    gsi1pk: collections.audit,
    gsi1sk: sort,
    gsi2pk: collections.auditOf(event.targetType, event.targetId),
    gsi2sk: sort,
    gsi3pk: collections.auditOfType(event.targetType),
    gsi3sk: sort,
    gsi4pk: collections.auditBy(event.principal),
    gsi4sk: sort,
    ...event,
  };
}

/** A Put for TransactWriteItems: the audit event is written if and only if the change is. */
export function auditPut(table: TableRef, input: AuditInput) {
  return { Put: { TableName: table.tableName, Item: auditItem(input) } };
}

export async function recordAudit(table: TableRef, input: AuditInput): Promise<void> {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: auditItem(input) }));
}

/**
 * The Query that serves an audit filter, and what it reads (each index also costs one more write per event:
 * three in all, nothing for a trail written by people and the nightly sweeper):
 * - one entity (targetType + targetId) → gsi2: that entity's events only. With a principal too, that is a
 *   FilterExpression over them: an entity's history is short.
 * - a principal → gsi4: that principal's events only. With a targetType too, a FilterExpression over them: all
 *   the principal's events in the range are read, and a page may come back short, even empty, with a cursor.
 * - a targetType → gsi3: events on that kind of entity only.
 * - none → gsi1: every event.
 * A date range is a BETWEEN on the index's `<at>#<id>` sort key: it narrows what is read rather than filtering.
 */
export function auditListQuery(filter: AuditFilter, page: { limit: number; cursor?: string }): IndexQuery {
  const { principal, targetType, targetId } = filter;
  const between = timeRange(filter.from, filter.to);
  const target: Pick<IndexQuery, 'index' | 'partition' | 'where'> =
    targetType && targetId
      ? {
          index: 'gsi2',
          partition: collections.auditOf(targetType, targetId),
          ...(principal && { where: { attribute: 'principal', value: principal } }),
        }
      : principal
        ? {
            index: 'gsi4',
            partition: collections.auditBy(principal),
            ...(targetType && { where: { attribute: 'targetType', value: targetType } }),
          }
        : targetType
          ? { index: 'gsi3', partition: collections.auditOfType(targetType) }
          : { index: 'gsi1', partition: collections.audit };
  return {
    ...target,
    newestFirst: true,
    limit: page.limit,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    ...(between && { between }),
  };
}

/** Events newest first, by any combination of date range, principal, kind of entity and entity. */
export function listAudit(
  table: TableRef,
  page: { limit: number; cursor?: string },
  filter: AuditFilter = {},
): Promise<Page<AuditEvent>> {
  return queryCollectionPage(table, auditListQuery(filter, page), (item) => AuditEventSchema.parse(item));
}
