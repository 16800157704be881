import { pageOf } from './api.ts';
import { AuditEventSchema } from './audit.ts';

/** Response of `GET /v1/audit`: one page of events, newest first. The query is `PageQuerySchema`. */
export const AuditPageSchema = pageOf(AuditEventSchema);
