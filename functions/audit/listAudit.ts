import type { Page } from '../../types/api.ts';
import { ListAuditQuerySchema, type ListAuditQuery } from '../../types/apiAudit.ts';
import type { AuditEvent } from '../../types/audit.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { listAudit as listAuditEvents } from '../shared/repositories/audit.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';

const table = tableFromEnv();

/** GET /v1/audit: who changed what, newest first, optionally by date range, principal and target (one Query). */
async function listAudit({ query }: HttpInput<unknown, ListAuditQuery, unknown>): Promise<Page<AuditEvent>> {
  const { limit, cursor, ...filter } = query;
  return listAuditEvents(table, { limit, ...(cursor !== undefined && { cursor }) }, filter);
}

export const handler = httpHandler({ query: ListAuditQuerySchema }, listAudit);
