import type { Page } from '../../types/api.ts';
import { ListAuditQuerySchema, type ListAuditQuery, type ListedAuditEvent } from '../../types/apiAudit.ts';
import { cognitoClient } from '../shared/cognitoClient.ts';
import { httpHandler, type HttpInput } from '../shared/http.ts';
import { tableFromEnv } from '../shared/tableFromEnv.ts';
import { principalNamesFromEnv, withNames } from '../shared/principalNames.ts';
import { auditPage } from './auditPage.ts';
import { withRefs } from './auditRefs.ts';

const deps = { table: tableFromEnv(), names: principalNamesFromEnv(cognitoClient) };

/**
 * GET /v1/audit: who changed what, newest first, optionally by date range, principal (exactly, or a part of it or
 * of a person's e-mail) and target; console users are named by e-mail as the page is read (events keep the stable
 * `cognito:<sub>`), and the entities each event is about or mentions by what they are now.
 */
async function listAudit({ query }: HttpInput<unknown, ListAuditQuery, unknown>): Promise<Page<ListedAuditEvent>> {
  const { limit, cursor, ...filter } = query;
  const page = await auditPage(deps, { limit, ...(cursor !== undefined && { cursor }) }, filter);
  const named = await withNames(page.items, (event) => event.principal, deps.names, 'principalName');
  return { ...page, items: await withRefs(deps.table, named) };
}

export const handler = httpHandler({ query: ListAuditQuerySchema }, listAudit);
