import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventBridgeScheduler, type EventBridgeTarget } from '../../../functions/schedules/scheduler.ts';
import { scheduleService } from '../../../functions/schedules/scheduleService.ts';
import { keys } from '../../../functions/shared/keys.ts';
import { listAudit } from '../../../functions/shared/repositories/audit.ts';
import { putNewDataSource } from '../../../functions/shared/repositories/dataSources.ts';
import type { TableRef } from '../../../functions/shared/repositories/table.ts';
import type { CreateSchedule } from '../../../types/schedule.ts';
import { useTestTable } from '../../support/api.ts';

const TARGET: EventBridgeTarget = {
  groupName: 'keepsake-schedules',
  stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:keepsake-backup',
  roleArn: 'arn:aws:iam::123456789012:role/keepsake-scheduler',
};
const PRINCIPAL = 'arn:aws:iam::123456789012:user/alice';
/** The day before Europe/Berlin springs forward (2026-03-29, 02:00 → 03:00). */
const NOW = new Date('2026-03-28T12:00:00.000Z');
const BODY: CreateSchedule = {
  name: 'Nightly',
  cron: '30 2 * * *',
  timeZone: 'Europe/Berlin',
  enabled: true,
  retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
  verify: { when: 'never', testRestore: false },
};

const scheduler = mockClient(SchedulerClient);
let table: TableRef;

/** Runs `hook` right after the service reads a schedule: lets a test change the item behind its back. */
let afterRead: (() => Promise<void>) | undefined;

function service() {
  const spied = {
    send: async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
      const out = await table.client.send(command as GetCommand);
      if (command instanceof GetCommand && String(command.input.Key?.pk).startsWith('SCHEDULE#') && afterRead) {
        const hook = afterRead;
        afterRead = undefined;
        await hook();
      }
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
  return scheduleService(
    { client: spied, tableName: table.tableName },
    eventBridgeScheduler(new SchedulerClient({ region: 'eu-central-1' }), TARGET),
    () => NOW,
  );
}

const rawItem = async (id: string) =>
  (await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.schedule(id) }))).Item;
const auditOf = async (id: string) =>
  (await listAudit(table, { limit: 100 })).items.filter((event) => event.targetId === id);

async function rejection(promise: Promise<unknown>): Promise<Error & { statusCode?: number }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a rejection');
  return outcome;
}

const validationError = () =>
  new ValidationException({
    message: 'The role cannot be assumed',
    Message: 'The role cannot be assumed',
    $metadata: {},
  });

beforeAll(async () => {
  table = await useTestTable();
  await putNewDataSource(table, {
    id: 'src-1',
    name: 'Shop',
    engine: 'mysql',
    host: 'db.example.com',
    port: 3306,
    database: 'shop',
    username: 'backup',
    tls: { mode: 'required' },
    enabled: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    passwordSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:keepsake/src-1',
  });
});

beforeEach(() => {
  scheduler.reset();
  scheduler.onAnyCommand().resolves({});
  afterRead = undefined;
});

afterAll(() => scheduler.restore());

describe('creating a schedule', () => {
  it('writes the item and its audit event, then creates the EventBridge schedule that starts the Backup machine', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);

    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: `keepsake-${created.id}`,
      GroupName: 'keepsake-schedules',
      Description: `Keepsake schedule ${created.id} of data source src-1`,
      ScheduleExpression: 'cron(30 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: TARGET.stateMachineArn,
        RoleArn: TARGET.roleArn,
        Input: JSON.stringify({ dataSourceId: 'src-1', scheduleId: created.id, trigger: 'schedule' }),
      },
    });
    expect(created).toEqual({
      id: created.id,
      sourceId: 'src-1',
      name: 'Nightly',
      cron: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      enabled: true,
      retention: { daily: 7, weekly: 4, monthly: 6, keepLast: 0, includeManualBackups: false },
      verify: { when: 'never', testRestore: false },
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      // 02:30 does not exist in Berlin on 2026-03-29: skipped, as EventBridge Scheduler does.
      nextRuns: ['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z', '2026-04-01T00:30:00.000Z'],
    });
    expect(await rawItem(created.id)).toMatchObject({
      pk: `SCHEDULE#${created.id}`,
      sk: 'SCHEDULE',
      gsi1pk: 'SCHEDULES',
      gsi1sk: `${NOW.toISOString()}#${created.id}`,
      gsi2pk: 'SOURCE#src-1#SCHEDULES',
      gsi2sk: `${NOW.toISOString()}#${created.id}`,
      revision: 1,
    });
    expect(await auditOf(created.id)).toMatchObject([
      {
        action: 'schedule.create',
        principal: PRINCIPAL,
        targetType: 'schedule',
        summary: '"30 2 * * *" Europe/Berlin for data source src-1',
      },
    ]);
  });

  it('creates a paused schedule DISABLED, with no next runs', async () => {
    const created = await service().create('src-1', { ...BODY, enabled: false }, PRINCIPAL);

    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, { State: 'DISABLED' });
    expect(created.nextRuns).toEqual([]);
  });

  it('answers 404 for an unknown data source and calls nothing', async () => {
    const error = await rejection(service().create('nope', BODY, PRINCIPAL));

    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('data source nope not found');
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('when Scheduler refuses: deletes the item and its audit event again and answers 502 naming the failure', async () => {
    scheduler.on(CreateScheduleCommand).rejects(validationError());
    const before = (await service().list({ limit: 100 })).items.length;

    const error = await rejection(service().create('src-1', BODY, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toMatch(
      /^EventBridge Scheduler could not create schedule [\w-]+ \(ValidationException: The role cannot be assumed\); nothing was changed$/,
    );
    const id = /schedule ([\w-]+) /.exec(error.message)?.[1] ?? '';
    expect(await rawItem(id)).toBeUndefined();
    expect(await auditOf(id)).toEqual([]);
    expect((await service().list({ limit: 100 })).items).toHaveLength(before);
  });
});

describe('changing a schedule', () => {
  it('replaces the item (revision + 1), merges retention, then sends the whole definition with UpdateSchedule', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler.resetHistory();
    const later = new Date(NOW.getTime() + 60_000);
    const updated = await scheduleService(
      table,
      eventBridgeScheduler(new SchedulerClient({ region: 'eu-central-1' }), TARGET),
      () => later,
    ).update(
      created.id,
      { cron: '0 9 * * MON-FRI', timeZone: 'America/New_York', retention: { monthly: 12 } },
      PRINCIPAL,
    );

    expect(scheduler).toHaveReceivedCommandTimes(UpdateScheduleCommand, 1);
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `keepsake-${created.id}`,
      GroupName: 'keepsake-schedules',
      ScheduleExpression: 'cron(0 9 ? * 2-6 *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: TARGET.stateMachineArn,
        RoleArn: TARGET.roleArn,
        Input: JSON.stringify({ dataSourceId: 'src-1', scheduleId: created.id, trigger: 'schedule' }),
      },
    });
    expect(updated).toMatchObject({
      cron: '0 9 * * MON-FRI',
      timeZone: 'America/New_York',
      name: 'Nightly',
      retention: { daily: 7, weekly: 4, monthly: 12, keepLast: 0, includeManualBackups: false },
      updatedAt: later.toISOString(),
      createdAt: NOW.toISOString(),
    });
    // Monday 2026-03-30, 09:00 EDT.
    expect(updated.nextRuns[0]).toBe('2026-03-30T13:00:00.000Z');
    expect(await rawItem(created.id)).toMatchObject({ revision: 2 });
    expect(await auditOf(created.id)).toContainEqual(
      expect.objectContaining({ action: 'schedule.update', summary: 'changed cron, retention, timeZone' }),
    );
  });

  it('recreates the EventBridge schedule when Scheduler no longer has it', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler
      .on(UpdateScheduleCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} }),
      );

    await service().update(created.id, { name: 'Renamed' }, PRINCIPAL);

    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 2);
    expect(scheduler.commandCalls(CreateScheduleCommand)[1]?.args[0].input).toMatchObject({
      Name: `keepsake-${created.id}`,
      ScheduleExpression: 'cron(30 2 * * ? *)',
    });
  });

  it('when Scheduler refuses: puts the previous item back exactly, removes the audit event, answers 502', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    const before = await rawItem(created.id);
    scheduler.on(UpdateScheduleCommand).rejects(validationError());

    const error = await rejection(
      service().update(created.id, { cron: '0 4 * * *', retention: { daily: 1 } }, PRINCIPAL),
    );

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      `EventBridge Scheduler could not update schedule ${created.id} (ValidationException: The role cannot be assumed); nothing was changed`,
    );
    expect(await rawItem(created.id)).toEqual(before);
    expect((await auditOf(created.id)).map((event) => event.action)).toEqual(['schedule.create']);
  });

  it('removes the name on name: null, and puts it back when Scheduler refuses the change', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    const before = await rawItem(created.id);
    scheduler.on(UpdateScheduleCommand).rejectsOnce(validationError());

    expect((await rejection(service().update(created.id, { name: null }, PRINCIPAL))).statusCode).toBe(502);
    expect(await rawItem(created.id)).toEqual(before);

    const unnamed = await service().update(created.id, { name: null }, PRINCIPAL);
    expect(unnamed).not.toHaveProperty('name');
    expect(await rawItem(created.id)).not.toHaveProperty('name');
    expect(await rawItem(created.id)).toMatchObject({ revision: 2 });
    // Newest first: the refused attempt left no event.
    expect((await auditOf(created.id)).map((event) => [event.action, event.summary])).toEqual([
      ['schedule.update', 'changed name'],
      ['schedule.create', expect.any(String)],
    ]);
  });

  it('answers 404 for an unknown schedule', async () => {
    expect((await rejection(service().update('missing', { name: 'x' }, PRINCIPAL))).statusCode).toBe(404);
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('answers 409, changing nothing, when another request changed the schedule after it was read', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler.resetHistory();
    afterRead = async () => {
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.schedule(created.id),
          UpdateExpression: 'SET revision = :r, #n = :n',
          ExpressionAttributeNames: { '#n': 'name' },
          ExpressionAttributeValues: { ':r': 7, ':n': 'Theirs' },
        }),
      );
    };

    const error = await rejection(service().update(created.id, { name: 'Mine' }, PRINCIPAL));

    expect(error.statusCode).toBe(409);
    expect(error.message).toBe(`schedule ${created.id} was changed by another request; read it again and retry`);
    expect(await rawItem(created.id)).toMatchObject({ name: 'Theirs', revision: 7 });
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('answers 404 when the schedule was deleted after it was read', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    afterRead = async () => {
      await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.schedule(created.id) }));
    };

    expect((await rejection(service().update(created.id, { name: 'Mine' }, PRINCIPAL))).statusCode).toBe(404);
  });

  it('does not undo over a change another request made in the meantime, and says so', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler.on(UpdateScheduleCommand).callsFake(async () => {
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.schedule(created.id),
          UpdateExpression: 'SET revision = :r',
          ExpressionAttributeValues: { ':r': 9 },
        }),
      );
      throw validationError();
    });

    const error = await rejection(service().update(created.id, { name: 'Mine' }, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toMatch(
      /^EventBridge Scheduler could not update schedule [\w-]+ \(ValidationException: The role cannot be assumed\), and undoing the table change failed \(TransactionCancelled: transaction cancelled: \[schedule: ConditionalCheckFailed, audit: None\]\)$/,
    );
    expect(await rawItem(created.id)).toMatchObject({ name: 'Mine', revision: 9 });
  });
});

describe('pausing and resuming', () => {
  it('pause sets State DISABLED with the same definition and empties nextRuns; resume sets ENABLED again', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler.resetHistory();

    const paused = await service().pause(created.id, PRINCIPAL);
    expect(paused).toMatchObject({ enabled: false, nextRuns: [] });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: `keepsake-${created.id}`,
      State: 'DISABLED',
      ScheduleExpression: 'cron(30 2 * * ? *)',
    });

    const resumed = await service().resume(created.id, PRINCIPAL);
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextRuns).toHaveLength(3);
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input.State)).toEqual([
      'DISABLED',
      'ENABLED',
    ]);
    expect((await auditOf(created.id)).map((event) => event.action).sort()).toEqual([
      'schedule.create',
      'schedule.pause',
      'schedule.resume',
    ]);
  });

  it('pausing a paused schedule changes nothing and calls nothing', async () => {
    const created = await service().create('src-1', { ...BODY, enabled: false }, PRINCIPAL);
    scheduler.resetHistory();

    expect(await service().pause(created.id, PRINCIPAL)).toMatchObject({ enabled: false });
    expect(scheduler.calls()).toHaveLength(0);
    expect(await rawItem(created.id)).toMatchObject({ revision: 1 });
  });

  it('when Scheduler refuses to pause, the schedule stays enabled', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler.on(UpdateScheduleCommand).rejects(validationError());

    expect((await rejection(service().pause(created.id, PRINCIPAL))).statusCode).toBe(502);
    expect(await rawItem(created.id)).toMatchObject({ enabled: true, revision: 1 });
    expect((await service().get(created.id)).nextRuns).toHaveLength(3);
  });
});

describe('deleting a schedule', () => {
  it('deletes the item with an audit event, then the EventBridge schedule', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);

    await service().remove(created.id, PRINCIPAL);

    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, {
      Name: `keepsake-${created.id}`,
      GroupName: 'keepsake-schedules',
    });
    expect(await rawItem(created.id)).toBeUndefined();
    expect((await auditOf(created.id)).map((event) => event.action).sort()).toEqual([
      'schedule.create',
      'schedule.delete',
    ]);
  });

  it('counts an EventBridge schedule that is already gone as deleted', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} }),
      );

    await service().remove(created.id, PRINCIPAL);

    expect(await rawItem(created.id)).toBeUndefined();
  });

  it('when Scheduler refuses: re-creates the item exactly as it was, removes the audit event, answers 502', async () => {
    const created = await service().create('src-1', BODY, PRINCIPAL);
    const before = await rawItem(created.id);
    scheduler.on(DeleteScheduleCommand).rejects(validationError());

    const error = await rejection(service().remove(created.id, PRINCIPAL));

    expect(error.statusCode).toBe(502);
    expect(error.message).toBe(
      `EventBridge Scheduler could not delete schedule ${created.id} (ValidationException: The role cannot be assumed); nothing was changed`,
    );
    expect(await rawItem(created.id)).toEqual(before);
    expect((await auditOf(created.id)).map((event) => event.action)).toEqual(['schedule.create']);
  });

  it('answers 404 for an unknown schedule', async () => {
    expect((await rejection(service().remove('missing', PRINCIPAL))).statusCode).toBe(404);
    expect(scheduler.calls()).toHaveLength(0);
  });
});
