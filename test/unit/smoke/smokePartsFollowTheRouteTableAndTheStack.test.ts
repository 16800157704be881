import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { pathOf, waitFor } from '../../../scripts/smoke/keepsakeApi.ts';
import { fireTestAlarm, pickTestAlarm, type StackAlarm } from '../../../scripts/smoke/stack.ts';
import { ALARMS, cfn, cw } from './smokeFixtures.ts';

afterAll(() => {
  cfn.restore();
  cw.restore();
});

describe('pathOf', () => {
  it('builds each call from the route table, encoding path parameters and adding the query', () => {
    expect(pathOf('triggerBackup', { params: { id: 'src-1' } })).toEqual({
      method: 'POST',
      path: '/v1/data-sources/src-1/backups',
    });
    expect(pathOf('getBackup', { params: { id: 'a/b c' } })).toEqual({ method: 'GET', path: '/v1/backups/a%2Fb%20c' });
    expect(pathOf('deleteDataSource', { params: { id: 'src-1' }, query: { force: 'true' } })).toEqual({
      method: 'DELETE',
      path: '/v1/data-sources/src-1?force=true',
    });
    expect(pathOf('createRestore')).toEqual({ method: 'POST', path: '/v1/restores' });
  });

  it('refuses a call missing a path parameter instead of sending {id}', () => {
    expect(() => pathOf('getRestore', {})).toThrow('getRestore needs the path parameter id');
  });
});

describe('waitFor', () => {
  it('reads until done, sleeping the interval between reads', async () => {
    const states = ['queued', 'running', 'succeeded'];
    const slept: number[] = [];
    const result = await waitFor(
      'job',
      async () => states.shift() ?? 'gone',
      (s) => s === 'succeeded',
      (s) => s,
      { intervalMs: 5000, timeoutMs: 60_000, sleep: async (ms) => void slept.push(ms), now: () => 0 },
    );
    expect(result).toBe('succeeded');
    expect(slept).toEqual([5000, 5000]);
  });

  it('gives up after the timeout with the last state it saw', async () => {
    let now = 0;
    const reading = waitFor(
      'backup bk-1',
      async () => 'running',
      () => false,
      (s) => s,
      { intervalMs: 5000, timeoutMs: 30_000, sleep: async (ms) => void (now += ms), now: () => now },
    );
    await expect(reading).rejects.toThrow('backup bk-1 is still running after 30 s');
    expect(now).toBe(30_000);
  });
});

describe('pickTestAlarm', () => {
  const stackAlarms: StackAlarm[] = [ALARMS.stale, ALARMS.restore, ALARMS.backup];
  const ok = (name: string) => ({
    AlarmName: name,
    StateValue: 'OK' as const,
    AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:t'],
  });

  it('prefers the backup-failure alarm whatever the listing order', () => {
    expect(
      pickTestAlarm(
        stackAlarms,
        stackAlarms.map((a) => ok(a.name)),
        'Keepsake',
      ),
    ).toEqual(ALARMS.backup);
  });

  it('passes over alarms in ALARM or without actions', () => {
    const described = [
      { ...ok(ALARMS.backup.name), StateValue: 'ALARM' as const },
      { ...ok(ALARMS.restore.name), AlarmActions: [] },
      ok(ALARMS.stale.name),
    ];
    expect(pickTestAlarm(stackAlarms, described, 'Keepsake')).toEqual(ALARMS.stale);
  });

  it('explains, per alarm, why none can be fired', () => {
    const described = [
      { ...ok(ALARMS.backup.name), StateValue: 'ALARM' as const },
      { ...ok(ALARMS.restore.name), AlarmActions: [] },
    ];
    expect(() => pickTestAlarm(stackAlarms, described, 'Keepsake')).toThrow(
      `no alarm of stack Keepsake can be fired safely (${ALARMS.stale.name}: not found by DescribeAlarms; ${ALARMS.restore.name}: has no alarm actions; ${ALARMS.backup.name}: already in ALARM)`,
    );
    expect(() => pickTestAlarm([], [], 'Keepsake')).toThrow('stack Keepsake has no CloudWatch alarms');
  });
});

describe('fireTestAlarm', () => {
  beforeEach(() => {
    cw.reset();
    cw.on(SetAlarmStateCommand).resolves({});
  });

  it('sets the alarm back to OK even when the wait in between fails', async () => {
    const client = new CloudWatchClient({ region: 'eu-west-1' });
    const failingSleep = async () => {
      throw new Error('interrupted');
    };
    await expect(fireTestAlarm(client, 'my-alarm', 1000, failingSleep)).rejects.toThrow('interrupted');
    expect(cw).toHaveReceivedCommandTimes(SetAlarmStateCommand, 2);
    expect(cw).toHaveReceivedLastCommandWith(SetAlarmStateCommand, { AlarmName: 'my-alarm', StateValue: 'OK' });
  });

  it('does not try to reset an alarm it could not raise', async () => {
    cw.on(SetAlarmStateCommand, { StateValue: 'ALARM' }).rejects(new Error('AccessDenied'));
    await expect(
      fireTestAlarm(new CloudWatchClient({ region: 'eu-west-1' }), 'my-alarm', 0, async () => {}),
    ).rejects.toThrow('AccessDenied');
    expect(cw).toHaveReceivedCommandTimes(SetAlarmStateCommand, 1);
  });
});
