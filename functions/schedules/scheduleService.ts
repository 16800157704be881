import { randomUUID } from 'node:crypto';
import type { Page, PageQuery } from '../../types/api.ts';
import { nextRuns } from '../../types/cron.ts';
import {
  DEFAULT_VERIFY_POLICY,
  type CreateSchedule,
  type Schedule,
  type UpdateSchedule,
} from '../../types/schedule.ts';
import { Conflict, NotFound, Upstream } from '../shared/errors.ts';
import { keys } from '../shared/keys.ts';
import { logger } from '../shared/logger.ts';
import { auditPut, type AuditInput } from '../shared/repositories/audit.ts';
import { getDataSource } from '../shared/repositories/dataSources.ts';
import {
  deleteSchedule,
  getSchedule,
  listSchedules,
  listSchedulesOf,
  putNewSchedule,
  replaceSchedule,
  type ScheduleRecord,
} from '../shared/repositories/schedules.ts';
import type { TableRef } from '../shared/repositories/table.ts';
import {
  TransactionCancelled,
  transactNamedItems,
  type NamedItems,
  type TransactItem,
} from '../shared/repositories/transactions.ts';
import type { BackupScheduler } from './scheduler.ts';

/** How many run times every response carries. */
export const NEXT_RUNS = 3;

/** The API shape: the stored fields without `revision`, plus the next run times (none while paused). */
export function toSchedule(record: ScheduleRecord, now: Date): Schedule {
  const { revision: _revision, ...fields } = record;
  const runs = record.enabled
    ? nextRuns(record.cron, record.timeZone, now, NEXT_RUNS).map((run) => run.toISOString())
    : [];
  return { ...fields, verify: record.verify ?? { ...DEFAULT_VERIFY_POLICY }, nextRuns: runs };
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Whether a transaction was cancelled because the condition of its item `name` failed. */
const conditionFailed = (error: unknown, name: string): boolean =>
  error instanceof TransactionCancelled && error.failed(name);

/**
 * Schedules, kept in step with EventBridge Scheduler. Each change is written to the table first (the item and
 * its audit event in one transaction, conditioned on the revision read), then made in Scheduler; when Scheduler
 * fails, a second transaction puts the table back as it was (the previous item, or none, or the deleted one)
 * and removes the audit event, and the caller gets a 502 naming Scheduler's error. Nothing is left half-written.
 */
export function scheduleService(table: TableRef, scheduler: BackupScheduler, clock: () => Date = () => new Date()) {
  const audit = (principal: string, action: string, targetId: string, summary?: string) => {
    const input: AuditInput = {
      principal,
      action: `schedule.${action}`,
      targetType: 'schedule',
      targetId,
      ...(summary && { summary }),
    };
    return auditPut(table, input);
  };

  /** The Delete that removes an audit event again, for an undo. */
  const unaudit = (put: ReturnType<typeof auditPut>): TransactItem => {
    const { pk, sk } = put.Put.Item as { pk: string; sk: string };
    return { Delete: { TableName: table.tableName, Key: { pk, sk } } };
  };

  async function syncOrUndo(what: string, sync: () => Promise<void>, undo: NamedItems): Promise<void> {
    try {
      await sync();
    } catch (error) {
      const reason = describeError(error);
      logger.warn('scheduler sync failed; undoing the table change', { what, reason });
      try {
        await transactNamedItems(table, undo);
      } catch (undoError) {
        logger.error('undoing the table change failed', { what, reason: describeError(undoError) });
        throw new Upstream(
          `EventBridge Scheduler could not ${what} (${reason}), and undoing the table change failed (${describeError(undoError)})`,
        );
      }
      throw new Upstream(`EventBridge Scheduler could not ${what} (${reason}); nothing was changed`);
    }
  }

  async function mustGet(id: string): Promise<ScheduleRecord> {
    const record = await getSchedule(table, id);
    if (!record) throw new NotFound('schedule', id);
    return record;
  }

  /** A conditional write on `id` failed: it was deleted (404) or changed (409) since it was read. */
  async function lostRace(id: string): Promise<never> {
    if (!(await getSchedule(table, id))) throw new NotFound('schedule', id);
    throw new Conflict(`schedule ${id} was changed by another request; read it again and retry`);
  }

  /** Writes `next` over `current` (with its audit event), syncs Scheduler, undoes on failure. */
  async function replace(
    current: ScheduleRecord,
    next: ScheduleRecord,
    principal: string,
    action: string,
    summary?: string,
  ): Promise<Schedule> {
    const event = audit(principal, action, current.id, summary);
    try {
      await transactNamedItems(table, { schedule: replaceSchedule(table, next, current.revision), audit: event });
    } catch (error) {
      if (conditionFailed(error, 'schedule')) return lostRace(current.id);
      throw error;
    }
    await syncOrUndo(`${action} schedule ${current.id}`, () => scheduler.update(next), {
      schedule: replaceSchedule(table, current, next.revision),
      audit: unaudit(event),
    });
    return toSchedule(next, clock());
  }

  async function setEnabled(id: string, enabled: boolean, principal: string): Promise<Schedule> {
    const current = await mustGet(id);
    if (current.enabled === enabled) return toSchedule(current, clock());
    const next: ScheduleRecord = {
      ...current,
      enabled,
      updatedAt: clock().toISOString(),
      revision: current.revision + 1,
    };
    return replace(current, next, principal, enabled ? 'resume' : 'pause');
  }

  async function remove(id: string, principal: string): Promise<void> {
    const current = await mustGet(id);
    const event = audit(principal, 'delete', id, `schedule of data source ${current.sourceId}`);
    try {
      await transactNamedItems(table, { schedule: deleteSchedule(table, id, current.revision), audit: event });
    } catch (error) {
      if (conditionFailed(error, 'schedule')) return lostRace(id);
      throw error;
    }
    await syncOrUndo(`delete schedule ${id}`, () => scheduler.delete(id), {
      schedule: putNewSchedule(table, current),
      audit: unaudit(event),
    });
  }

  const page = async (records: Promise<Page<ScheduleRecord>>): Promise<Page<Schedule>> => {
    const { items, nextCursor } = await records;
    const now = clock();
    return { items: items.map((record) => toSchedule(record, now)), ...(nextCursor && { nextCursor }) };
  };

  return {
    list(query: PageQuery): Promise<Page<Schedule>> {
      return page(listSchedules(table, query));
    },

    async listOf(sourceId: string, query: PageQuery): Promise<Page<Schedule>> {
      if (!(await getDataSource(table, sourceId))) throw new NotFound('data source', sourceId);
      return page(listSchedulesOf(table, sourceId, query));
    },

    async get(id: string): Promise<Schedule> {
      return toSchedule(await mustGet(id), clock());
    },

    async create(sourceId: string, body: CreateSchedule, principal: string): Promise<Schedule> {
      if (!(await getDataSource(table, sourceId))) throw new NotFound('data source', sourceId);
      const now = clock().toISOString();
      const record: ScheduleRecord = {
        id: randomUUID(),
        sourceId,
        ...(body.name !== undefined && { name: body.name }),
        cron: body.cron,
        timeZone: body.timeZone,
        enabled: body.enabled,
        retention: body.retention,
        verify: body.verify,
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      const event = audit(
        principal,
        'create',
        record.id,
        `"${record.cron}" ${record.timeZone} for data source ${sourceId}`,
      );
      try {
        await transactNamedItems(table, {
          // The source may be deleted between the read above and this write.
          source: {
            ConditionCheck: {
              TableName: table.tableName,
              Key: keys.dataSource(sourceId),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          schedule: putNewSchedule(table, record),
          audit: event,
        });
      } catch (error) {
        if (conditionFailed(error, 'source')) throw new NotFound('data source', sourceId);
        throw error;
      }
      await syncOrUndo(`create schedule ${record.id}`, () => scheduler.create(record), {
        schedule: deleteSchedule(table, record.id, record.revision),
        audit: unaudit(event),
      });
      return toSchedule(record, clock());
    },

    async update(id: string, body: UpdateSchedule, principal: string): Promise<Schedule> {
      const current = await mustGet(id);
      const { name: _name, ...unnamed } = current;
      const next: ScheduleRecord = {
        ...(body.name === null ? unnamed : current),
        ...(body.name && { name: body.name }),
        ...(body.cron !== undefined && { cron: body.cron }),
        ...(body.timeZone !== undefined && { timeZone: body.timeZone }),
        retention: { ...current.retention, ...body.retention },
        verify: { ...DEFAULT_VERIFY_POLICY, ...current.verify, ...body.verify },
        updatedAt: clock().toISOString(),
        revision: current.revision + 1,
      };
      return replace(current, next, principal, 'update', `changed ${Object.keys(body).sort().join(', ')}`);
    },

    pause: (id: string, principal: string) => setEnabled(id, false, principal),
    resume: (id: string, principal: string) => setEnabled(id, true, principal),

    remove,
  };
}

export type ScheduleService = ReturnType<typeof scheduleService>;
