import type { Page } from '../../types/api.ts';
import { ListAuditQuerySchema, type ListAuditQuery, type ListedAuditEvent } from '../../types/apiAudit.ts';
import { cognitoClient } from '../shared/cognitoClient.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { listAudit as listAuditEvents } from '../shared/repositories/audit.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { principalNamesFromEnv, withNames } from '../shared/principalNames.ts';

const deps = { table: tableFromEnv(), names: principalNamesFromEnv(cognitoClient) };

/**
 * GET /v1/audit: who changed what, newest first, optionally by date range, principal and target (one Query); console
 * users are named by e-mail as the page is read (events keep the stable `cognito:<sub>`).
 */
async function listAudit({ query }: HttpInput<unknown, ListAuditQuery, unknown>): Promise<Page<ListedAuditEvent>> {
  const { limit, cursor, ...filter } = query;
  const page = await listAuditEvents(deps.table, { limit, ...(cursor !== undefined && { cursor }) }, filter);
  return { ...page, items: await withNames(page.items, (event) => event.principal, deps.names, 'principalName') };
}

export const handler = httpHandler({ query: ListAuditQuerySchema }, listAudit);
