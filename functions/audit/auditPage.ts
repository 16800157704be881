import type { Page } from '../../types/api.ts';
import type { AuditFilter } from '../../types/apiAudit.ts';
import type { AuditEvent } from '../../types/audit.ts';
import type { PrincipalNames } from '../shared/principalNames.ts';
import { listAudit } from '../shared/repositories/audit.ts';
import type { TableRef } from '../shared/repositories/table.ts';

/**
 * Events one call reads at most while looking for `principalContains`: an answer stays well inside API Gateway's
 * 29 s and a Lambda's memory whatever the log holds, and a search that found nothing yet answers with a cursor to
 * go on from (about 0.5 MB of small items, 63 read units, in a few Queries).
 */
export const SEARCH_READS_PER_CALL = 500;

/** Whether `principal`, or the e-mail address it is named by, contains `text` in any case. */
export function principalMatches(principal: string, name: string | undefined, text: string): boolean {
  const wanted = text.toLowerCase();
  return principal.toLowerCase().includes(wanted) || (name?.toLowerCase().includes(wanted) ?? false);
}

/**
 * One page of the audit log by `filter`. Without `principalContains` that is one Query (see `auditListQuery`).
 * With it, DynamoDB cannot help: a key is matched whole, `contains()` in a FilterExpression minds case, and e-mail
 * addresses are not stored (they are looked up, and may change). So the events the rest of the filter selects are
 * read newest first and matched here, by their principal and its name, with each Query's Limit no more than the
 * matches still wanted: the page ends on a Query's own last key, so the cursor resumes right after the last event
 * read and no event is skipped or given twice, however the matches fall across pages. A call reads at most
 * SEARCH_READS_PER_CALL events; a page may then hold fewer matches than `limit`, even none, with a cursor.
 */
export async function auditPage(
  deps: { readonly table: TableRef; readonly names: PrincipalNames },
  page: { readonly limit: number; readonly cursor?: string },
  filter: AuditFilter,
): Promise<Page<AuditEvent>> {
  const { principalContains, ...indexed } = filter;
  if (principalContains === undefined) return listAudit(deps.table, page, indexed);
  const items: AuditEvent[] = [];
  let cursor = page.cursor;
  let read = 0;
  do {
    const limit = Math.min(page.limit - items.length, SEARCH_READS_PER_CALL - read);
    const next = await listAudit(deps.table, { limit, ...(cursor !== undefined && { cursor }) }, indexed);
    read += limit;
    const names = await deps.names(next.items.map((event) => event.principal));
    items.push(
      ...next.items.filter((event) => principalMatches(event.principal, names.get(event.principal), principalContains)),
    );
    cursor = next.nextCursor;
  } while (cursor !== undefined && items.length < page.limit && read < SEARCH_READS_PER_CALL);
  return cursor === undefined ? { items } : { items, nextCursor: cursor };
}
