import * as z from 'zod';
import { pageOf, type IdPathSchema } from './api.ts';
import { DataSourceSchema } from './dataSource.ts';

/** `{id}` of the data-source routes, parsed. */
export type IdPath = z.infer<typeof IdPathSchema>;

/** Response of list: one page of sources, ordered by name. */
export const DataSourcePageSchema = pageOf(DataSourceSchema);

/**
 * Query of `DELETE /v1/data-sources/{id}`. Without `force=true` a source that still holds backups is refused
 * with 409; with it the source, its schedules and its secret go, and its backups stay (downloadable, restorable).
 */
export const DeleteDataSourceQuerySchema = z.object({
  force: z
    .enum(['true', 'false'], { error: 'force must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});
export type DeleteDataSourceQuery = z.infer<typeof DeleteDataSourceQuerySchema>;

/**
 * Response of `POST /v1/data-sources/{id}/test`: the server answered (and which version it is), or the reason it
 * did not, in the client's or server's own words (never the password).
 */
export const ConnectionTestResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), serverVersion: z.string(), durationMs: z.number().int().nonnegative() }).strict(),
  z.object({ ok: z.literal(false), error: z.string(), durationMs: z.number().int().nonnegative() }).strict(),
]);
export type ConnectionTestResult = z.infer<typeof ConnectionTestResultSchema>;
