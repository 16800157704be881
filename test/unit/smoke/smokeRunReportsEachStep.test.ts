import { DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { ACCESS_KEY, ALARMS, PASSWORD, cfn, cw, givenPerTest, lineOf, stepHeads } from './smokeFixtures.ts';

const ALL_STEPS = [
  'find the API',
  'create data source',
  'test connection',
  'back up',
  'verify',
  'restore',
  'fire test alarm',
  'trash backup',
  'delete data source',
];

/** The SetAlarmState calls in order, as the alarm and the state they set. */
const alarmStates = () =>
  cw
    .commandCalls(SetAlarmStateCommand)
    .map((c) => ({ AlarmName: c.args[0].input.AlarmName, StateValue: c.args[0].input.StateValue }));

const start = givenPerTest();

describe('npm run smoke:aws against a deployment that works', () => {
  it('prints PASS for every step in order, then a passing summary, and exits 0', async () => {
    const { run, out, err } = await start();
    expect(await run()).toBe(0);
    expect(stepHeads(out)).toEqual(ALL_STEPS.map((s) => `PASS ${s}`));
    expect(out.filter((l) => l.startsWith('PASS')).every((l) => /^PASS [A-Za-z ]+ \(\d+\.\d s\)/.test(l))).toBe(true);
    expect(out.at(-1)).toBe('smoke test passed (9 passed, 0 failed, 0 skipped)');
    expect(err).toEqual([]);
  });

  it('reads the API URL from the Keepsake stack, calls the routes in order, each SigV4-signed in the region', async () => {
    const { run, fake } = await start();
    await run();
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'Keepsake' });
    const calls = fake.operations().filter((op) => op !== 'getBackup' && op !== 'getRestore');
    expect(calls).toEqual([
      'createDataSource',
      'testDataSource',
      'triggerBackup',
      'verifyBackup',
      'createRestore',
      'trashBackup',
      'deleteDataSource',
    ]);
    for (const call of fake.calls)
      expect(call.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/eu-west-1/execute-api/aws4_request, `),
      );
  });

  it('creates the source from the arguments with the password from KEEPSAKE_DB_PASSWORD, restores into a scratch database and removes both', async () => {
    const { run, fake, out } = await start();
    await run(['--port', '3307']);
    const create = fake.calls.find((c) => c.operation === 'createDataSource');
    expect(create?.body).toEqual({
      name: 'keepsake-smoke-20261207_191128',
      engine: 'mysql',
      host: 'db.example.internal',
      port: 3307,
      database: 'shop',
      username: 'backup',
      password: PASSWORD,
      tls: { mode: 'required' },
      enabled: true,
    });
    const sourceId = fake.calls.find((c) => c.operation === 'testDataSource')?.params.id;
    expect(sourceId).toMatch(/^src-/);
    const restore = fake.calls.find((c) => c.operation === 'createRestore');
    expect(restore?.body).toEqual({
      backupId: expect.stringMatching(/^bk-/),
      targetSourceId: sourceId,
      targetDatabase: 'keepsake_smoke_20261207_191128',
      confirmDatabase: 'keepsake_smoke_20261207_191128',
    });
    expect(out).toContain(
      'NOTE the scratch database keepsake_smoke_20261207_191128 stays on db.example.internal: drop it when done (DROP DATABASE `keepsake_smoke_20261207_191128`)',
    );
    expect(fake.sources.size).toBe(0);
    expect([...fake.backups.values()].every((b) => b.trashedAt !== undefined)).toBe(true);
    expect(fake.calls.find((c) => c.operation === 'deleteDataSource')?.query).toEqual({ force: 'true' });
  });

  it('sets the stack’s backup-failure alarm to ALARM, then the same alarm back to OK', async () => {
    const { run, out } = await start();
    await run();
    expect(cfn).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: 'Keepsake' });
    expect(alarmStates()).toEqual([
      { AlarmName: ALARMS.backup.name, StateValue: 'ALARM' },
      { AlarmName: ALARMS.backup.name, StateValue: 'OK' },
    ]);
    expect(lineOf(out, 'fire test alarm')).toContain(ALARMS.backup.name);
  });

  it('fires another alarm of the stack when the backup-failure alarm is in ALARM already (a real incident it leaves alone)', async () => {
    const { run } = await start({}, { backup: { StateValue: 'ALARM' } });
    expect(await run()).toBe(0);
    expect(alarmStates()).toEqual([
      { AlarmName: ALARMS.restore.name, StateValue: 'ALARM' },
      { AlarmName: ALARMS.restore.name, StateValue: 'OK' },
    ]);
  });

  it('with --api uses that URL instead of the stack outputs (the alarm still comes from the stack)', async () => {
    const { run, fake } = await start();
    const url = fake.url;
    expect(await run(['--api', url, '--stack', 'KeepsakeStaging'])).toBe(0);
    expect(cfn).not.toHaveReceivedCommand(DescribeStacksCommand);
    expect(cfn).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: 'KeepsakeStaging' });
    expect(fake.operations()).toContain('createDataSource');
  });

  it('with --keep leaves the data source and the backup and says so, still exiting 0', async () => {
    const { run, fake, out } = await start();
    expect(await run(['--keep'])).toBe(0);
    expect(fake.operations()).not.toContain('trashBackup');
    expect(fake.operations()).not.toContain('deleteDataSource');
    expect(fake.sources.size).toBe(1);
    expect(lineOf(out, 'clean up')).toMatch(
      /^SKIP clean up: --keep: data source src-\d+ and backup bk-\d+ left in place$/,
    );
  });

  it('sends the CA bundle of --ca-file with TLS verify-identity', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const { run, fake } = await start();
    const read: string[] = [];
    expect(
      await run(['--ca-file', '/etc/rds/global-bundle.pem'], {
        deps: { readFile: async (path) => (read.push(path), pem) },
      }),
    ).toBe(0);
    expect(read).toEqual(['/etc/rds/global-bundle.pem']);
    expect((fake.calls.find((c) => c.operation === 'createDataSource')?.body as { tls: unknown }).tls).toEqual({
      mode: 'verify-identity',
      caPem: pem,
    });
  });
});

describe('npm run smoke:aws when a step fails', () => {
  it('a failed backup: FAIL for it, SKIP for verify and restore, the alarm and the cleanup still run, exit 1', async () => {
    const { run, fake, out } = await start({ backupOutcome: 'failed' });
    expect(await run()).toBe(1);
    expect(stepHeads(out)).toEqual([
      'PASS find the API',
      'PASS create data source',
      'PASS test connection',
      'FAIL back up',
      'SKIP verify',
      'SKIP restore',
      'PASS fire test alarm',
      'PASS trash backup',
      'PASS delete data source',
    ]);
    expect(lineOf(out, 'back up')).toMatch(
      /^FAIL back up: backup bk-\d+ failed: mysqldump: Got error: 1045: Access denied for user$/,
    );
    expect(lineOf(out, 'verify')).toBe('SKIP verify: the backup did not succeed');
    expect(fake.operations()).not.toContain('verifyBackup');
    expect(fake.operations()).not.toContain('createRestore');
    expect(fake.sources.size).toBe(0);
    expect(out.at(-1)).toBe('smoke test FAILED (6 passed, 1 failed, 2 skipped)');
  });

  it('a backup that never ends: FAIL after --timeout naming its last status, then it is cancelled before it is trashed', async () => {
    let now = 0;
    const { run, fake, out } = await start({ backupOutcome: 'never' });
    // Every reading of the clock is a minute later, so a one-minute timeout passes after one poll.
    expect(await run(['--timeout', '1'], { deps: { clock: () => (now += 60_000) } })).toBe(1);
    expect(lineOf(out, 'back up')).toMatch(/^FAIL back up: backup bk-\d+ is still running after 60 s$/);
    const ops = fake.operations();
    expect(ops.indexOf('cancelBackup')).toBeGreaterThan(-1);
    expect(ops.indexOf('cancelBackup')).toBeLessThan(ops.indexOf('trashBackup'));
    expect(lineOf(out, 'trash backup')).toMatch(/^PASS trash backup/);
  });

  it('a failed verification and a failed restore are each a FAIL with the reason, and the rest still runs', async () => {
    const { run, out } = await start({ verification: 'failed', restoreOutcome: 'failed' });
    expect(await run()).toBe(1);
    expect(lineOf(out, 'verify')).toMatch(
      /^FAIL verify: backup bk-\d+ failed verification: sha256 differs from the recorded one$/,
    );
    expect(lineOf(out, 'restore')).toMatch(
      /^FAIL restore: restore rs-\d+ failed: ERROR 1044: Access denied to database$/,
    );
    expect(out.some((l) => l.startsWith('NOTE the scratch database'))).toBe(false);
    expect(stepHeads(out).slice(-3)).toEqual(['PASS fire test alarm', 'PASS trash backup', 'PASS delete data source']);
  });

  it('a refused connection: FAIL test connection with the server’s reason, no backup is started, the source is deleted', async () => {
    const { run, fake, out } = await start({ connection: 'refused' });
    expect(await run()).toBe(1);
    expect(lineOf(out, 'test connection')).toBe(
      'FAIL test connection: the API could not connect: connect ECONNREFUSED 10.0.0.5:3306',
    );
    expect(stepHeads(out).filter((l) => l.startsWith('SKIP'))).toEqual(['SKIP back up', 'SKIP verify', 'SKIP restore']);
    expect(fake.operations()).not.toContain('triggerBackup');
    expect(fake.operations()).not.toContain('trashBackup');
    expect(fake.operations().at(-1)).toBe('deleteDataSource');
  });

  it('a stack that does not exist: FAIL find the API naming it, every API step skipped, nothing to clean up', async () => {
    const { run, fake, out } = await start();
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Keepsake does not exist'), { name: 'ValidationError' }));
    cfn
      .on(ListStackResourcesCommand)
      .rejects(Object.assign(new Error('Stack with id Keepsake does not exist'), { name: 'ValidationError' }));
    expect(await run()).toBe(1);
    expect(lineOf(out, 'find the API')).toBe('FAIL find the API: Stack with id Keepsake does not exist');
    expect(stepHeads(out)).toEqual([
      'FAIL find the API',
      ...ALL_STEPS.slice(1, 6).map((s) => `SKIP ${s}`),
      'FAIL fire test alarm',
    ]);
    expect(fake.calls).toEqual([]);
    expect(cw).not.toHaveReceivedCommand(SetAlarmStateCommand);
  });

  it('an alarm that cannot be set back is a FAIL, after the attempt to reset it', async () => {
    const { run, out } = await start();
    cw.on(SetAlarmStateCommand, { StateValue: 'OK' }).rejects(
      new Error('User is not authorized to perform: cloudwatch:SetAlarmState'),
    );
    expect(await run()).toBe(1);
    expect(lineOf(out, 'fire test alarm')).toBe(
      'FAIL fire test alarm: User is not authorized to perform: cloudwatch:SetAlarmState',
    );
    expect(alarmStates()).toEqual([
      { AlarmName: ALARMS.backup.name, StateValue: 'ALARM' },
      { AlarmName: ALARMS.backup.name, StateValue: 'OK' },
    ]);
  });
});
