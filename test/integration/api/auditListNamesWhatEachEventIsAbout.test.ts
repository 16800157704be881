import { beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { Page } from '../../../types/api.ts';
import { AuditPageSchema, type ListedAuditEvent } from '../../../types/apiAudit.ts';
import { RETENTION_PRINCIPAL } from '../../../types/retention.ts';
import { call, useTestTable } from '../../support/api.ts';
import { givenAuditHistory, SHOP_NAME, type AuditHistory } from '../../support/auditHistory.ts';
import type { Handler } from './backupApi.ts';

/**
 * GET /v1/audit gives each event the refs of what it is about and of the ids its summary mentions, as they are now,
 * over DynamoDB Local: the audit log written by Keepsake's own services (see givenAuditHistory), one of its sources
 * deleted since.
 */
const ADA = 'cognito:1b6f0c3e-2d4a-4f5b-9c8d-7e6f5a4b3c2d';
const BEN = 'cognito:2c7a1d4f-3e5b-4a6c-8d9e-0f1a2b3c4d5e';
const ALICE = 'arn:aws:iam::123456789012:user/alice';

let table: TableRef;
let listAudit: Handler;
let history: AuditHistory;
let events: ListedAuditEvent[];

beforeAll(async () => {
  table = await useTestTable();
  listAudit = (await import('../../../functions/audit/listAudit.ts')).handler;
  history = await givenAuditHistory(table, { scheduler: ADA, otherScheduler: BEN, restorer: ALICE });
  const response = await call<Page<ListedAuditEvent>>(listAudit, { method: 'GET', resource: '/v1/audit' });
  expect(response.status).toBe(200);
  expect(AuditPageSchema.safeParse(response.body).success).toBe(true);
  events = response.body.items;
});

const eventOf = (action: string, principal: string) => {
  const event = events.find((e) => e.action === action && e.principal === principal);
  if (!event) throw new Error(`no ${action} by ${principal} in ${JSON.stringify(events)}`);
  return event;
};

describe('the audit log names what each event is about', () => {
  it('names a schedule by its times and zone and its source, where its summary mentions the source', () => {
    expect(eventOf('schedule.create', ADA).refs).toEqual([
      {
        type: 'schedule',
        id: history.weeklyId,
        cron: '30 1 * * 1,3',
        timeZone: 'Europe/Berlin',
        sourceId: history.shopId,
        sourceName: SHOP_NAME,
      },
      { type: 'dataSource', id: history.shopId, name: SHOP_NAME },
    ]);
  });

  it('names a restore by where it wrote, and the backup its summary mentions by source, database and time', () => {
    expect(eventOf('restore.start', ALICE).refs).toEqual([
      {
        type: 'restore',
        id: history.restoreId,
        sourceId: history.shopId,
        sourceName: SHOP_NAME,
        database: 'shop_copy',
      },
      {
        type: 'backup',
        id: history.backup.id,
        sourceId: history.shopId,
        sourceName: SHOP_NAME,
        database: 'shop',
        createdAt: history.backup.createdAt,
      },
      { type: 'dataSource', id: history.shopId, name: SHOP_NAME },
    ]);
  });

  it('gives nothing for what is gone: a deleted schedule and source, a kept backup of that source without its name', () => {
    expect(eventOf('schedule.create', BEN).refs).toEqual([]);
    expect(eventOf('schedule.delete', BEN).refs).toEqual([]);
    const trashed = eventOf('backup.trash', RETENTION_PRINCIPAL);
    expect(trashed.summary).toBe(`data source ${history.goneId}: ${history.retentionReason}`);
    expect(trashed.refs).toEqual([
      {
        type: 'backup',
        id: history.goneBackup.id,
        sourceId: history.goneId,
        database: 'shop',
        createdAt: history.goneBackup.createdAt,
      },
    ]);
  });
});
