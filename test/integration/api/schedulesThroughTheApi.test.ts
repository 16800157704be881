import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  ServiceQuotaExceededException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../../functions/shared/repositories/audit.ts';
import { putNewDataSource } from '../../../functions/shared/repositories/dataSources.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { ErrorResponse, Page } from '../../../types/api.ts';
import { ScheduleSchema, type Schedule } from '../../../types/schedule.ts';
import { call, useTestTable, type ApiRequest } from '../../support/api.ts';

/**
 * The schedule routes through their real handlers and middy chain, on DynamoDB Local, with EventBridge Scheduler
 * mocked at the SDK client (every SchedulerClient the handlers create).
 */
const scheduler = mockClient(SchedulerClient);
let table: TableRef;
type Handler = Parameters<typeof call>[0];
const h = {} as Record<'list' | 'listOf' | 'create' | 'get' | 'update' | 'remove' | 'pause' | 'resume', Handler>;

const GROUP = 'keepsake-schedules';

async function seedSource(id: string): Promise<void> {
  await putNewDataSource(table, {
    id,
    name: `Source ${id}`,
    engine: 'mariadb',
    host: 'db.internal',
    port: 3306,
    database: 'app',
    username: 'backup',
    tls: { mode: 'preferred' },
    enabled: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    passwordSecretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:keepsake/${id}`,
  });
}

const create = (sourceId: string, body: unknown) =>
  call<Schedule & ErrorResponse>(h.create, {
    method: 'POST',
    resource: '/v1/data-sources/{id}/schedules',
    pathParameters: { id: sourceId },
    body,
  });
const get = (id: string) =>
  call<Schedule & ErrorResponse>(h.get, { method: 'GET', resource: '/v1/schedules/{id}', pathParameters: { id } });
const on = (handler: Handler, method: string, resource: string, id: string, extra: Partial<ApiRequest> = {}) =>
  call<Schedule & ErrorResponse>(handler, { method, resource, pathParameters: { id }, ...extra });

beforeAll(async () => {
  table = await useTestTable();
  process.env.SCHEDULE_GROUP_NAME = GROUP;
  process.env.BACKUP_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-backup';
  process.env.SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/keepsake-scheduler';
  delete process.env.KEEPSAKE_SCHEDULER;
  h.list = (await import('../../../functions/schedules/listSchedules.ts')).handler;
  h.listOf = (await import('../../../functions/schedules/listSourceSchedules.ts')).handler;
  h.create = (await import('../../../functions/schedules/createSchedule.ts')).handler;
  h.get = (await import('../../../functions/schedules/getSchedule.ts')).handler;
  h.update = (await import('../../../functions/schedules/updateSchedule.ts')).handler;
  h.remove = (await import('../../../functions/schedules/deleteSchedule.ts')).handler;
  h.pause = (await import('../../../functions/schedules/pauseSchedule.ts')).handler;
  h.resume = (await import('../../../functions/schedules/resumeSchedule.ts')).handler;
  await Promise.all(['src-a', 'src-b', 'src-empty'].map(seedSource));
});

beforeEach(() => {
  scheduler.reset();
  scheduler.onAnyCommand().resolves({});
});

afterAll(() => scheduler.restore());

describe('a schedule from creation to deletion', () => {
  it('is created, read, listed, changed, paused, resumed and deleted, each in step with EventBridge and audited', async () => {
    const created = await create('src-a', { name: 'Nightly', cron: '30 2 * * *', timeZone: 'Europe/Berlin' });
    expect(created.status).toBe(201);
    expect(ScheduleSchema.parse(created.body)).toEqual(created.body);
    expect(created.body).toMatchObject({
      sourceId: 'src-a',
      name: 'Nightly',
      enabled: true,
      retention: { daily: 7, weekly: 4, monthly: 6 },
    });
    expect(created.body.nextRuns).toHaveLength(3);
    const id = created.body.id;
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: `keepsake-${id}`,
      GroupName: GROUP,
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });

    const read = await get(id);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, cron: '30 2 * * *', timeZone: 'Europe/Berlin' });
    expect(read.body.nextRuns).toHaveLength(3);

    const all = await call<Page<Schedule>>(h.list, {
      method: 'GET',
      resource: '/v1/schedules',
      query: { limit: '100' },
    });
    expect(all.status).toBe(200);
    expect(all.body.items.map((s) => s.id)).toContain(id);

    const ofSource = await on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'src-a');
    expect((ofSource.body as unknown as Page<Schedule>).items.map((s) => s.id)).toContain(id);

    const patched = await on(h.update, 'PATCH', '/v1/schedules/{id}', id, {
      body: { cron: '0 4 * * SUN', timeZone: 'America/New_York', retention: { weekly: 8 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      cron: '0 4 * * SUN',
      timeZone: 'America/New_York',
      name: 'Nightly',
      retention: { daily: 7, weekly: 8, monthly: 6 },
    });
    expect(new Set(patched.body.nextRuns.map((run) => new Date(run).getUTCDay()))).toEqual(new Set([0]));
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `keepsake-${id}`,
      ScheduleExpression: 'cron(0 4 ? * 1 *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
    });

    const paused = await on(h.pause, 'POST', '/v1/schedules/{id}/pause', id);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ enabled: false, nextRuns: [] });
    expect((await get(id)).body).toMatchObject({ enabled: false, nextRuns: [] });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, { State: 'DISABLED' });

    const resumed = await on(h.resume, 'POST', '/v1/schedules/{id}/resume', id);
    expect(resumed.body.enabled).toBe(true);
    expect(resumed.body.nextRuns).toHaveLength(3);

    const deleted = await on(h.remove, 'DELETE', '/v1/schedules/{id}', id);
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: `keepsake-${id}`, GroupName: GROUP });
    expect((await get(id)).status).toBe(404);

    const actions = (await listAudit(table, { limit: 100 })).items
      .filter((event) => event.targetId === id)
      .map((event) => event.action);
    expect(actions.sort()).toEqual([
      'schedule.create',
      'schedule.delete',
      'schedule.pause',
      'schedule.resume',
      'schedule.update',
    ]);
    expect((await listAudit(table, { limit: 100 })).items.find((event) => event.targetId === id)?.principal).toBe(
      'arn:aws:iam::123456789012:user/test',
    );
  });

  it("lists per source only that source's schedules, and nothing for a source without any", async () => {
    const a = await create('src-a', { cron: '0 1 * * *', timeZone: 'UTC' });
    const b = await create('src-b', { cron: '0 1 * * *', timeZone: 'UTC' });

    const ofA = (await on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'src-a', { query: { limit: '100' } }))
      .body as unknown as Page<Schedule>;
    expect(ofA.items.map((s) => s.id)).toContain(a.body.id);
    expect(ofA.items.map((s) => s.id)).not.toContain(b.body.id);
    expect(ofA.items.every((s) => s.sourceId === 'src-a')).toBe(true);

    const empty = await on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'src-empty');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [] });
  });

  it('an edit that blanks the name sends name: null and the schedule reads back without one', async () => {
    const { body: named } = await create('src-a', { name: 'Nightly', cron: '0 2 * * *', timeZone: 'UTC' });

    const patched = await on(h.update, 'PATCH', '/v1/schedules/{id}', named.id, {
      body: { name: null, cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });

    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty('name');
    expect((await get(named.id)).body).toMatchObject({ cron: '0 3 * * *', timeZone: 'Europe/Berlin' });
    expect((await get(named.id)).body).not.toHaveProperty('name');
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `keepsake-${named.id}`,
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });
});

describe('pagination', () => {
  it('walks every schedule of a source over several pages, oldest first, each once', async () => {
    await seedSource('src-many');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1)
      ids.push((await create('src-many', { name: `s${i}`, cron: `${i} 3 * * *`, timeZone: 'UTC' })).body.id);

    const seen: Schedule[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'src-many', {
        query: { limit: '2', ...(cursor && { cursor }) },
      });
      expect(page.status).toBe(200);
      const body = page.body as unknown as Page<Schedule>;
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor);

    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort());
    const order = seen.map((s) => `${s.createdAt}#${s.id}`);
    expect(order).toEqual([...order].sort());
  });

  it('pages the list of all schedules too', async () => {
    await create('src-b', { cron: '0 6 * * *', timeZone: 'UTC' });
    await create('src-b', { cron: '0 7 * * *', timeZone: 'UTC' });
    const first = await call<Page<Schedule>>(h.list, {
      method: 'GET',
      resource: '/v1/schedules',
      query: { limit: '1' },
    });
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call<Page<Schedule>>(h.list, {
      method: 'GET',
      resource: '/v1/schedules',
      query: { limit: '1', cursor: first.body.nextCursor ?? '' },
    });
    expect(second.body.items[0]?.id).not.toBe(first.body.items[0]?.id);
  });
});

describe('bad input is a 400 naming the field', () => {
  const valid = { cron: '0 2 * * *', timeZone: 'UTC' };

  it.each([
    [
      'cron with 6 fields',
      { ...valid, cron: '0 0 2 * * *' },
      {
        cron: 'cron must have 5 fields (minute hour day-of-month month day-of-week), got 6 (seconds and year fields are not supported)',
      },
    ],
    [
      'an impossible date (Feb 31)',
      { ...valid, cron: '0 0 31 2 *' },
      { cron: 'cron never runs: day-of-month 31 does not occur in month 2' },
    ],
    [
      'an impossible date (Feb 30)',
      { ...valid, cron: '0 0 30 2 *' },
      { cron: 'cron never runs: day-of-month 30 does not occur in month 2' },
    ],
    ['a minute out of range', { ...valid, cron: '60 2 * * *' }, { cron: 'minute: 60 is out of range 0-59' }],
    [
      'day-of-month OR day-of-week',
      { ...valid, cron: '0 0 1 * MON' },
      { cron: expect.stringMatching(/^EventBridge Scheduler cannot run on/) },
    ],
    [
      'an unknown time zone',
      { ...valid, timeZone: 'Europe/Atlantis' },
      { timeZone: 'timeZone must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC' },
    ],
    [
      'an abbreviation for a time zone',
      { ...valid, timeZone: 'CET' },
      { timeZone: expect.stringMatching(/^timeZone must be an IANA time zone name/) },
    ],
    [
      'wrong types',
      { cron: 2, timeZone: true, enabled: 'no', retention: { daily: '7' } },
      {
        cron: 'cron must be a string',
        timeZone: 'timeZone must be a string',
        enabled: 'enabled must be true or false',
        'retention.daily': 'retention.daily must be a number',
      },
    ],
    ['an empty object', {}, { cron: 'cron is required', timeZone: 'timeZone is required' }],
    ['no body at all', undefined, { '(root)': 'a JSON body is required' }],
    ['an unknown field', { ...valid, every: 'day' }, { every: 'is not a known field' }],
    [
      'a negative retention',
      { ...valid, retention: { monthly: -1 } },
      { 'retention.monthly': 'retention.monthly must be between 0 and 240' },
    ],
  ])('create with %s', async (_case, body, fields) => {
    const response = await create('src-a', body);
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual(fields);
    expect(response.body.error).toMatch(/^invalid body: /);
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('create with malformed JSON', async () => {
    const response = await call<ErrorResponse>(h.create, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/schedules',
      pathParameters: { id: 'src-a' },
      rawBody: '{"cron": ',
    });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({ body: 'must be valid JSON' });
  });

  it('update with nothing to change, a bad cron or a field that only pause/resume change', async () => {
    const { body: schedule } = await create('src-a', valid);
    for (const [body, fields] of [
      [{}, { '(root)': 'send at least one field to change' }],
      [{ cron: '0 0 30 2 *' }, { cron: 'cron never runs: day-of-month 30 does not occur in month 2' }],
      [{ timeZone: 'Mars/Base' }, { timeZone: expect.stringMatching(/^timeZone must be/) }],
      [{ enabled: false }, { enabled: 'is not a known field' }],
    ] as const) {
      const response = await on(h.update, 'PATCH', '/v1/schedules/{id}', schedule.id, { body });
      expect(response.status).toBe(400);
      expect(response.body.fields).toEqual(fields);
    }
    expect((await get(schedule.id)).body).toMatchObject({ cron: '0 2 * * *', timeZone: 'UTC', enabled: true });
  });

  it('a malformed id, limit or cursor', async () => {
    expect((await get('not an id!')).body.fields).toEqual({ id: 'id must be 1-64 letters, digits, _ or -' });
    const badLimit = await call<ErrorResponse>(h.list, {
      method: 'GET',
      resource: '/v1/schedules',
      query: { limit: '0' },
    });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.fields).toEqual({ limit: 'limit must be 1-100' });
    const badCursor = await call<ErrorResponse>(h.list, {
      method: 'GET',
      resource: '/v1/schedules',
      query: { cursor: 'bm90LWEtY3Vyc29y' },
    });
    expect(badCursor.status).toBe(400);
  });
});

describe('unknown ids are a 404', () => {
  it.each([
    [
      'create for an unknown source',
      () => create('no-such-source', { cron: '0 2 * * *', timeZone: 'UTC' }),
      'data source no-such-source not found',
    ],
    [
      'list of an unknown source',
      () => on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'no-such-source'),
      'data source no-such-source not found',
    ],
    ['get', () => get('no-such-schedule'), 'schedule no-such-schedule not found'],
    [
      'update',
      () => on(h.update, 'PATCH', '/v1/schedules/{id}', 'no-such-schedule', { body: { name: 'x' } }),
      'schedule no-such-schedule not found',
    ],
    [
      'delete',
      () => on(h.remove, 'DELETE', '/v1/schedules/{id}', 'no-such-schedule'),
      'schedule no-such-schedule not found',
    ],
    [
      'pause',
      () => on(h.pause, 'POST', '/v1/schedules/{id}/pause', 'no-such-schedule'),
      'schedule no-such-schedule not found',
    ],
    [
      'resume',
      () => on(h.resume, 'POST', '/v1/schedules/{id}/resume', 'no-such-schedule'),
      'schedule no-such-schedule not found',
    ],
  ])('%s', async (_case, request, message) => {
    const response = await request();
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: message });
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('when EventBridge Scheduler fails', () => {
  const quota = () =>
    new ServiceQuotaExceededException({ message: 'Too many schedules', Message: 'Too many schedules', $metadata: {} });

  it('create answers 502 naming the failure and leaves no schedule behind', async () => {
    await seedSource('src-quota');
    scheduler.on(CreateScheduleCommand).rejects(quota());

    const response = await create('src-quota', { cron: '0 2 * * *', timeZone: 'UTC' });

    expect(response.status).toBe(502);
    expect(response.body.error).toMatch(
      /^EventBridge Scheduler could not create schedule [\w-]+ \(ServiceQuotaExceededException: Too many schedules\); nothing was changed$/,
    );
    expect((await on(h.listOf, 'GET', '/v1/data-sources/{id}/schedules', 'src-quota')).body).toEqual({ items: [] });
  });

  it('update and delete answer 502 and the schedule reads as before', async () => {
    const { body: schedule } = await create('src-a', { cron: '0 2 * * *', timeZone: 'UTC', name: 'Keep me' });
    scheduler.on(UpdateScheduleCommand).rejects(quota());
    scheduler.on(DeleteScheduleCommand).rejects(quota());

    const patched = await on(h.update, 'PATCH', '/v1/schedules/{id}', schedule.id, { body: { cron: '0 5 * * *' } });
    expect(patched.status).toBe(502);
    expect(patched.body.error).toContain('ServiceQuotaExceededException: Too many schedules');
    const deleted = await on(h.remove, 'DELETE', '/v1/schedules/{id}', schedule.id);
    expect(deleted.status).toBe(502);

    const after = await get(schedule.id);
    expect(after.status).toBe(200);
    expect({ ...after.body, nextRuns: [] }).toEqual({ ...schedule, nextRuns: [] });
  });
});
