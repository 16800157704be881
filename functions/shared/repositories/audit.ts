import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Page } from '../../../types/api.ts';
import { AuditEventSchema, type AuditEvent } from '../../../types/audit.ts';
import { collections, keys, timeSortKey } from '../keys.ts';
import { queryPage, type TableRef } from './table.ts';

export type AuditInput = Omit<AuditEvent, 'id' | 'at'>;

/** The item for one audit event, to put alone or inside the transaction that makes the change it records. */
export function auditItem(input: AuditInput, at: Date = new Date()): Record<string, unknown> {
  const event: AuditEvent = AuditEventSchema.parse({ id: randomUUID(), at: at.toISOString(), ...input });
  return { ...keys.audit(event.id), gsi1pk: collections.audit, gsi1sk: timeSortKey(event.at, event.id), ...event };
}

/** A Put for TransactWriteItems: the audit event is written if and only if the change is. */
export function auditPut(table: TableRef, input: AuditInput) {
  return { Put: { TableName: table.tableName, Item: auditItem(input) } };
}

export async function recordAudit(table: TableRef, input: AuditInput): Promise<void> {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: auditItem(input) }));
}

/** Newest first. */
export function listAudit(table: TableRef, page: { limit: number; cursor?: string }): Promise<Page<AuditEvent>> {
  return queryPage(table, { index: 'gsi1', partition: collections.audit, newestFirst: true, ...page }, (item) => AuditEventSchema.parse(item));
}
