import type { Page, PageQuery } from '../../types/api.ts';
import { PageQuerySchema } from '../../types/api.ts';
import type { AuditEvent } from '../../types/audit.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { listAudit as listAuditEvents } from '../shared/repositories/audit.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';

const table = tableFromEnv();

/** GET /v1/audit: who changed what, newest first. */
async function listAudit({ query }: HttpInput<unknown, PageQuery, unknown>): Promise<Page<AuditEvent>> {
  return listAuditEvents(table, query);
}

export const handler = httpHandler({ query: PageQuerySchema }, listAudit);
