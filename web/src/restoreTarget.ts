import type { DatabaseInspection } from '../../types/apiDataSources.ts';
import { DatabaseNameSchema } from '../../types/dataSource.ts';
import type { CreateRestore } from '../../types/restore.ts';

/** What the restore dialog knows of the target database: being looked into, the server's answer, or why there is none. */
export type TargetLookup =
  | { readonly state: 'checking' }
  | { readonly state: 'found'; readonly inspection: DatabaseInspection }
  | { readonly state: 'failed'; readonly reason: string };

/** The API's own rule for a database name, as the message to show under the field; undefined when the name is fine. */
export function databaseNameProblem(name: string): string | undefined {
  const parsed = DatabaseNameSchema.safeParse(name);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

/**
 * Whether the person must type the database's name before restoring: always over the source's own database, and
 * into a "new" one unless it is known not to exist yet (it turned out to exist, or it could not be checked).
 */
export function confirmationNeeded(intoNew: boolean, lookup: TargetLookup): boolean {
  if (!intoNew) return true;
  return lookup.state === 'failed' || (lookup.state === 'found' && lookup.inspection.exists);
}

export interface RestoreChoice {
  readonly database: string;
  readonly intoNew: boolean;
  /** What the person typed into the confirmation field. */
  readonly confirm: string;
  readonly lookup: TargetLookup;
  /** The "Roll back automatically if the restore fails" box, offered where something could be overwritten. */
  readonly rollbackOnFailure?: boolean;
}

/**
 * Whether the Restore button may be pressed: a valid name, and the name typed again when confirmation is needed.
 * A "new" database still being looked into waits for the answer, so an existing one is never overwritten unconfirmed.
 */
export function restoreReady(choice: RestoreChoice): boolean {
  if (databaseNameProblem(choice.database) !== undefined) return false;
  if (choice.intoNew && choice.lookup.state === 'checking') return false;
  return !confirmationNeeded(choice.intoNew, choice.lookup) || choice.confirm === choice.database;
}

/**
 * The body of `POST /v1/restores`: the API wants the name repeated, which the dialog does itself when no confirmation
 * is needed. An automatic rollback is asked for only where the box was offered: into a database known to be absent
 * there is nothing to roll back to.
 */
export function restoreBody(backupId: string, targetSourceId: string, choice: RestoreChoice): CreateRestore {
  const confirming = confirmationNeeded(choice.intoNew, choice.lookup);
  return {
    backupId,
    targetSourceId,
    targetDatabase: choice.database,
    confirmDatabase: confirming ? choice.confirm : choice.database,
    ...(confirming && choice.rollbackOnFailure ? { rollbackOnFailure: true } : {}),
  };
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** "3 tables and 1 view", or "620 tables and views (the first 500 listed)" when the list is cut. */
export function describeContents(inspection: Extract<DatabaseInspection, { exists: true }>): string {
  const { tableCount, tables } = inspection;
  if (tableCount > tables.length) return `${tableCount} tables and views (the first ${tables.length} listed)`;
  const views = tables.filter((table) => table.kind === 'view').length;
  const baseTables = plural(tableCount - views, 'table', 'tables');
  return views === 0 ? baseTables : `${baseTables} and ${plural(views, 'view', 'views')}`;
}
