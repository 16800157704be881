import { randomUUID } from 'node:crypto';
import type { Page, PageQuery } from '../../types/api.ts';
import type { ConnectionTestResult, DatabaseInspection, TestConnectionSettings } from '../../types/apiDataSources.ts';
import {
  DataSourceSchema,
  type Connection,
  type CreateDataSource,
  type DataSource,
  type UpdateDataSource,
} from '../../types/dataSource.ts';
import { fieldErrors } from '../../types/zodMessages.ts';
import { Conflict, Invalid, NotFound, Upstream } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { auditPut } from '../shared/repositories/audit.ts';
import {
  countBackupsOf,
  dataSourceDelete,
  getDataSource,
  listDataSources as listDataSourceItems,
  newDataSourcePut,
  replaceDataSourcePut,
  scheduleDelete,
  scheduleIdsOf,
  setEnabledUpdate,
  toDataSource,
  type DataSourceRecord,
} from '../shared/repositories/dataSources.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import { MAX_TRANSACT_ITEMS, transactNamedItems, whenConditionFailed } from '../shared/repositories/transactions.ts';
import { passwordFromSecret, passwordSecret, type SecretStore } from '../shared/secretStore.ts';

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');

/**
 * Connects to a database with the given credentials and reports what it found. A port, so that the API does not
 * depend on how (client binaries here, a driver or the runner task later) and unit tests need no database.
 * Resolves in all cases, within its own time bound: a failure is a result (`ok: false`), not an exception.
 */
export interface ConnectionTester {
  test(connection: Connection, password: string): Promise<ConnectionTestResult>;
}

/**
 * Looks into one database on a source's server: whether it exists and which tables it holds. A port, like the
 * tester, so that unit tests need no database. Rejects on failure, with a message fit to show (never the password).
 */
export interface DatabaseInspector {
  inspect(connection: Connection, password: string, database: string): Promise<DatabaseInspection>;
}

/**
 * Removes the trigger of one Keepsake schedule (its EventBridge Scheduler schedule in AWS); succeeds when it is
 * already gone. Structurally the `delete` of the schedules service's `BackupScheduler`, so either can be passed.
 */
export interface ScheduleRemover {
  delete(scheduleId: string): Promise<void>;
}

/** Everything the data-source operations may touch; each operation takes only the part it needs. */
export interface DataSourceDeps {
  readonly table: TableRef;
  readonly secrets: SecretStore;
  readonly scheduler: ScheduleRemover;
  readonly tester: ConnectionTester;
  readonly inspector: DatabaseInspector;
  /** Tests fix the clock and ids; production uses the defaults. */
  readonly now?: () => Date;
  readonly newId?: () => string;
}

type Needs<K extends keyof DataSourceDeps> = Pick<DataSourceDeps, K | 'now' | 'newId'>;

/** One secret per source, under a prefix the API's IAM policy can be scoped to. */
export const secretNameFor = (sourceId: string): string => `keepsake/data-source/${sourceId}`;

const nowIso = (deps: Needs<never>): string => (deps.now?.() ?? new Date()).toISOString();

/**
 * A failed call to Secrets Manager or Scheduler becomes a 502 naming the step and the AWS error code only: AWS
 * messages can quote ARNs, which responses never carry, so the full message goes to the log instead.
 */
function upstream(step: string): (error: unknown) => never {
  return (error) => {
    logger.error(step, {
      error: { name: errorName(error), message: error instanceof Error ? error.message : String(error) },
    });
    throw new Upstream(`${step} (${errorName(error)})`);
  };
}

async function existing(table: TableRef, id: string): Promise<DataSourceRecord> {
  const record = await getDataSource(table, id);
  if (!record) throw new NotFound('data source', id);
  return record;
}

const connectionOf = (source: DataSource): Connection => ({
  engine: source.engine,
  host: source.host,
  port: source.port,
  database: source.database,
  username: source.username,
  tls: source.tls,
});

const describeSource = (source: DataSource): string =>
  `"${source.name}" (${source.engine} ${source.host}:${source.port}/${source.database})`.slice(0, 500);

export function listDataSources(deps: Needs<'table'>, query: PageQuery): Promise<Page<DataSource>> {
  return listDataSourceItems(deps.table, query);
}

export async function getDataSourceById(deps: Needs<'table'>, id: string): Promise<DataSource> {
  return toDataSource(await existing(deps.table, id));
}

/**
 * Creates a source. The secret is written first and the item second, together with its audit event; if that
 * write fails the secret is deleted again, so no source exists without its password and no password is left
 * without its source. The password is never part of the item, the response or a log line.
 */
export async function createDataSource(
  deps: Needs<'table' | 'secrets'>,
  body: CreateDataSource,
  principal: string,
): Promise<DataSource> {
  const id = deps.newId?.() ?? randomUUID();
  const at = nowIso(deps);
  const { password, ...fields } = body;
  const source = DataSourceSchema.parse({ ...fields, id, createdAt: at, updatedAt: at });
  const secretRef = await deps.secrets
    .put(secretNameFor(id), passwordSecret(password))
    .catch(upstream('cannot store the password in the secret store'));
  try {
    await transactNamedItems(deps.table, {
      source: newDataSourcePut(deps.table, { ...source, passwordSecretArn: secretRef }),
      audit: auditPut(deps.table, {
        principal,
        action: 'dataSource.create',
        targetType: 'dataSource',
        targetId: id,
        summary: describeSource(source),
      }),
    }).catch(whenConditionFailed('source', () => new Conflict(`data source ${id} already exists`)));
  } catch (error) {
    await deps.secrets.delete(secretRef, { withoutRecovery: true }).catch((undoError: unknown) => {
      logger.error('could not delete the secret of a data source that was not created; delete it by hand', {
        dataSourceId: id,
        secretRef,
        error: {
          name: errorName(undoError),
          message: undoError instanceof Error ? undoError.message : String(undoError),
        },
      });
    });
    throw error;
  }
  logger.info('data source created', { dataSourceId: id });
  return source;
}

/**
 * The source an update leaves, held to its engine's rules (`checkEngineFields`): a change that breaks them, alone
 * or with the fields kept (`schemas` kept on a source moved to MySQL, say), is a 400 naming the field.
 */
function changedSource(fields: unknown): DataSource {
  const parsed = DataSourceSchema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const messages = fieldErrors(parsed.error);
  throw new Invalid(
    `invalid body: ${Object.entries(messages)
      .map(([field, message]) => `${field}: ${message}`)
      .join('; ')}`,
    messages,
  );
}

/**
 * Changes the fields sent. A new password replaces the secret's value before the item is written; if that write
 * fails (including when someone else changed the source meanwhile: 409) the previous value is put back.
 */
export async function updateDataSource(
  deps: Needs<'table' | 'secrets'>,
  id: string,
  body: UpdateDataSource,
  principal: string,
): Promise<DataSource> {
  const current = await existing(deps.table, id);
  const { password, ...changes } = body;
  const updated = changedSource({ ...toDataSource(current), ...changes, updatedAt: nowIso(deps) });
  const changed = Object.keys(body).sort().join(', ');

  let previousSecret: string | undefined;
  if (password !== undefined) {
    previousSecret = await deps.secrets
      .get(current.passwordSecretArn)
      .catch(upstream('cannot read the stored password'));
    await deps.secrets
      .update(current.passwordSecretArn, passwordSecret(password))
      .catch(upstream('cannot store the new password in the secret store'));
  }
  try {
    await transactNamedItems(deps.table, {
      source: replaceDataSourcePut(
        deps.table,
        { ...updated, passwordSecretArn: current.passwordSecretArn },
        current.updatedAt,
      ),
      audit: auditPut(deps.table, {
        principal,
        action: 'dataSource.update',
        targetType: 'dataSource',
        targetId: id,
        summary: `changed ${changed}`.slice(0, 500),
      }),
    }).catch(
      whenConditionFailed(
        'source',
        () => new Conflict(`data source ${id} was changed or deleted meanwhile: read it again and retry`),
      ),
    );
  } catch (error) {
    if (previousSecret !== undefined) {
      await deps.secrets.update(current.passwordSecretArn, previousSecret).catch((undoError: unknown) => {
        logger.error('could not put back the previous password of a data source whose update failed', {
          dataSourceId: id,
          error: {
            name: errorName(undoError),
            message: undoError instanceof Error ? undoError.message : String(undoError),
          },
        });
      });
    }
    throw error;
  }
  logger.info('data source updated', { dataSourceId: id, changed });
  return updated;
}

/** Enables or disables a source (a disabled source's scheduled backups are refused when they start). */
export async function setDataSourceEnabled(
  deps: Needs<'table'>,
  id: string,
  enabled: boolean,
  principal: string,
): Promise<DataSource> {
  const current = await existing(deps.table, id);
  const at = nowIso(deps);
  await transactNamedItems(deps.table, {
    source: setEnabledUpdate(deps.table, id, enabled, at),
    audit: auditPut(deps.table, {
      principal,
      action: enabled ? 'dataSource.enable' : 'dataSource.disable',
      targetType: 'dataSource',
      targetId: id,
      summary: describeSource(current),
    }),
  }).catch(whenConditionFailed('source', () => new NotFound('data source', id)));
  logger.info(enabled ? 'data source enabled' : 'data source disabled', { dataSourceId: id });
  return toDataSource({ ...current, enabled, updatedAt: at });
}

/**
 * Deletes a source. One that holds backups is refused (409, naming how many) unless `force`; then its schedules
 * go with it and its backups stay. Order, so that a failure at any step leaves a state a retry completes:
 * 1. the Scheduler schedules (idempotent), 2. the source, its schedule items and the audit event in transactions
 * (the source's in the last one), 3. the secret, scheduled for deletion with a 7-day recovery window. A failure
 * at step 3 is logged, not returned: the source is gone by then, and a retry could not reach the secret again.
 */
export async function deleteDataSource(
  deps: Needs<'table' | 'secrets' | 'scheduler'>,
  id: string,
  options: { force: boolean },
  principal: string,
): Promise<void> {
  const current = await existing(deps.table, id);
  const { total: backups, inTrash } = await countBackupsOf(deps.table, id);
  if (backups > 0 && !options.force) {
    const trash = inTrash > 0 ? ` (${inTrash} of them in the trash)` : '';
    throw new Conflict(
      `data source ${id} holds ${backups} backup${backups === 1 ? '' : 's'}${trash}: delete with ?force=true to delete the source and its schedules anyway (its backups are kept)`,
    );
  }
  const scheduleIds = await scheduleIdsOf(deps.table, id);
  for (const scheduleId of scheduleIds) {
    await deps.scheduler
      .delete(scheduleId)
      .catch(upstream(`cannot delete the EventBridge schedule of schedule ${scheduleId}`));
  }

  const audit = auditPut(deps.table, {
    principal,
    action: 'dataSource.delete',
    targetType: 'dataSource',
    targetId: id,
    summary: `${describeSource(current)}; ${scheduleIds.length} schedule(s) deleted; ${backups} backup(s) kept`.slice(
      0,
      500,
    ),
  });
  const scheduleItems = scheduleIds.map((scheduleId) => scheduleDelete(deps.table, scheduleId));
  const lastBatch = MAX_TRANSACT_ITEMS - 2;
  while (scheduleItems.length > lastBatch) {
    await transactNamedItems(deps.table, { schedules: scheduleItems.splice(0, MAX_TRANSACT_ITEMS) }).catch(
      whenConditionFailed('schedules', () => new Conflict(`schedules of data source ${id} changed meanwhile: retry`)),
    );
  }
  await transactNamedItems(deps.table, {
    source: dataSourceDelete(deps.table, id),
    schedules: scheduleItems,
    audit,
  }).catch(whenConditionFailed(['source', 'schedules'], () => new NotFound('data source', id)));

  await deps.secrets.delete(current.passwordSecretArn).catch((error: unknown) => {
    logger.error('data source deleted, but its secret could not be scheduled for deletion; delete it by hand', {
      dataSourceId: id,
      secretRef: current.passwordSecretArn,
      error: { name: errorName(error), message: error instanceof Error ? error.message : String(error) },
    });
  });
  logger.info('data source deleted', { dataSourceId: id, schedules: scheduleIds.length, backupsKept: backups });
}

async function storedPassword(secrets: SecretStore, record: DataSourceRecord): Promise<string> {
  const secret = await secrets.get(record.passwordSecretArn).catch(upstream('cannot read the stored password'));
  try {
    return passwordFromSecret(secret);
  } catch (error) {
    throw new Upstream(`cannot read the stored password: ${(error as Error).message}`);
  }
}

/** Connects with the stored credentials; the tester bounds the time and words the failure. */
export async function testDataSourceConnection(
  deps: Needs<'table' | 'secrets' | 'tester'>,
  id: string,
): Promise<ConnectionTestResult> {
  const current = await existing(deps.table, id);
  const password = await storedPassword(deps.secrets, current);
  const result = await deps.tester.test(connectionOf(current), password);
  logger.info('data source connection tested', { dataSourceId: id, ok: result.ok, durationMs: result.durationMs });
  return result;
}

/**
 * Tries settings that are not saved (nothing is stored, nothing audited: no state changes). The password is the one
 * sent, else the stored one of source `passwordOf`: an edit is tried with its changed fields before it is saved.
 */
export async function testConnectionSettings(
  deps: Needs<'table' | 'secrets' | 'tester'>,
  body: TestConnectionSettings,
): Promise<ConnectionTestResult> {
  const { engine, host, port, database, username, tls, password, passwordOf } = body;
  let secret = password;
  if (secret === undefined) {
    if (passwordOf === undefined) throw new Invalid('password is required', { password: 'password is required' });
    secret = await storedPassword(deps.secrets, await existing(deps.table, passwordOf));
  }
  const result = await deps.tester.test({ engine, host, port, database, username, tls }, secret);
  logger.info('unsaved connection settings tested', {
    host,
    port,
    ...(password === undefined && { passwordOf }),
    ok: result.ok,
    ...(!result.ok && { problem: result.problem }),
    durationMs: result.durationMs,
  });
  return result;
}

/**
 * What a restore into `database` of this source's server would overwrite: whether it exists and its tables. A
 * server that cannot be reached or refuses the stored credentials is a 502 with its reason.
 */
export async function inspectDatabase(
  deps: Needs<'table' | 'secrets' | 'inspector'>,
  id: string,
  database: string,
): Promise<DatabaseInspection> {
  const current = await existing(deps.table, id);
  const password = await storedPassword(deps.secrets, current);
  const inspection = await deps.inspector.inspect(connectionOf(current), password, database).catch((error: unknown) => {
    throw new Upstream(
      `cannot inspect database "${database}": ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  logger.info('database inspected', {
    dataSourceId: id,
    exists: inspection.exists,
    tables: inspection.exists ? inspection.tableCount : 0,
  });
  return inspection;
}
