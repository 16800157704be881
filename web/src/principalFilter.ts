import type { ListedAuditEvent } from '../../types/apiAudit.ts';

/**
 * What typing an e-mail address into the audit log's principal filter should lead to. The filter matches recorded
 * principals exactly (`cognito:<sub>`, IAM ARNs), never e-mail addresses, which are only looked up for display:
 * `principal` is the one the listed events show under that address, when they show one.
 */
export type EmailInPrincipalFilter = { readonly principal?: string } | undefined;

/** Undefined unless `typed` is an e-mail address alone (an IAM ARN may contain one, and is a principal). */
export function emailInPrincipalFilter(typed: string, listed: readonly ListedAuditEvent[]): EmailInPrincipalFilter {
  const email = typed.trim().toLowerCase();
  if (!/^[^\s@:/]+@[^\s@:/]+\.[^\s@:/]+$/.test(email)) return undefined;
  const principal = listed.find((event) => event.principalName?.toLowerCase() === email)?.principal;
  return principal === undefined ? {} : { principal };
}
