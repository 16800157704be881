import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putNewDataSource } from '../../../functions/shared/repositories/dataSources.ts';
import type { Schedule } from '../../../types/schedule.ts';
import { call, useTestTable } from '../../support/api.ts';

/** Local mode (KEEPSAKE_SCHEDULER=local) has no EventBridge: the handlers need none of its settings and call nothing. */
const scheduler = mockClient(SchedulerClient);
afterAll(() => scheduler.restore());

describe('schedules in local mode', () => {
  beforeAll(async () => {
    const table = await useTestTable();
    process.env.KEEPSAKE_SCHEDULER = 'local';
    for (const name of ['SCHEDULE_GROUP_NAME', 'BACKUP_STATE_MACHINE_ARN', 'SCHEDULER_ROLE_ARN'])
      delete process.env[name];
    await putNewDataSource(table, {
      id: 'src-local',
      name: 'Local',
      engine: 'mariadb',
      host: '127.0.0.1',
      port: 3306,
      database: 'demo',
      username: 'root',
      tls: { mode: 'disabled' },
      enabled: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      passwordSecretArn: 'local:src-local',
    });
  });

  it('create, pause and delete work against the table alone', async () => {
    const { handler: create } = await import('../../../functions/schedules/createSchedule.ts');
    const { handler: pause } = await import('../../../functions/schedules/pauseSchedule.ts');
    const { handler: remove } = await import('../../../functions/schedules/deleteSchedule.ts');
    const { handler: get } = await import('../../../functions/schedules/getSchedule.ts');

    const created = await call<Schedule>(create, {
      method: 'POST',
      resource: '/v1/data-sources/{id}/schedules',
      pathParameters: { id: 'src-local' },
      body: { cron: '*/5 * * * *', timeZone: 'UTC' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const [first, second] = created.body.nextRuns.map((run) => Date.parse(run));
    expect((second ?? 0) - (first ?? 0)).toBe(5 * 60_000);

    expect(
      (await call<Schedule>(pause, { method: 'POST', resource: '/v1/schedules/{id}/pause', pathParameters: { id } }))
        .body.enabled,
    ).toBe(false);
    expect(
      (await call(remove, { method: 'DELETE', resource: '/v1/schedules/{id}', pathParameters: { id } })).status,
    ).toBe(204);
    expect((await call(get, { method: 'GET', resource: '/v1/schedules/{id}', pathParameters: { id } })).status).toBe(
      404,
    );
    expect(scheduler.calls()).toHaveLength(0);
  });
});
