import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach } from 'vitest';
import { main, type SmokeDeps } from '../../../scripts/smoke/smoke.ts';
import { FakeKeepsakeApi, type FakeBehaviour } from './fakeKeepsakeApi.ts';

export const NOW = new Date('2026-12-07T19:11:28.000Z');
export const PASSWORD = 'smoke-s3cret';
export const ACCESS_KEY = 'AKIDSMOKETEST';

/** Every CloudFormation and CloudWatch call is stubbed: nothing here reaches AWS. */
export const cfn = mockClient(CloudFormationClient);
export const cw = mockClient(CloudWatchClient);

/** The alarms `infra/keepsakeStack.ts` creates, as CloudFormation lists them (logical id → physical name). */
export const ALARMS = {
  backup: { logicalId: 'AlertsBackupFailures2F7E1A3B', name: 'Keepsake-AlertsBackupFailures2F7E1A3B-QWERTY123' },
  restore: { logicalId: 'AlertsRestoreFailures9C1D2E3F', name: 'Keepsake-AlertsRestoreFailures9C1D2E3F-ASDFG456' },
  stale: { logicalId: 'AlertsStaleSources4A5B6C7D', name: 'Keepsake-AlertsStaleSources4A5B6C7D-ZXCVB789' },
};

/** The required arguments of a run against the fake (`--region` so no profile is needed). */
export const ARGS = [
  '--host',
  'db.example.internal',
  '--database',
  'shop',
  '--username',
  'backup',
  '--engine',
  'mysql',
  '--region',
  'eu-west-1',
];

export interface Given {
  readonly fake: FakeKeepsakeApi;
  readonly out: string[];
  readonly err: string[];
  /** Runs main with ARGS (or `base`) plus `extra`. */
  run(
    extra?: readonly string[],
    options?: { base?: readonly string[]; env?: NodeJS.ProcessEnv; deps?: Partial<SmokeDeps> },
  ): Promise<number>;
}

/**
 * A deployed Keepsake as the smoke test sees it: a fake API behaving as `behaviour` says, a stack whose ApiUrl
 * output points at it and whose resources include the three alarms (OK, with the topic as action unless
 * `alarms` says otherwise). `run` calls main with the password in the environment and captures both streams.
 */
export async function given(
  behaviour: Partial<FakeBehaviour> = {},
  alarms: Partial<Record<keyof typeof ALARMS, Partial<MetricAlarm>>> = {},
): Promise<Given> {
  cfn.reset();
  cw.reset();
  const fake = new FakeKeepsakeApi({
    backupOutcome: 'succeeded',
    verification: 'verified',
    restoreOutcome: 'succeeded',
    connection: 'ok',
    readsBeforeEnd: 2,
    ...behaviour,
  });
  const url = await fake.start();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'Keepsake',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: NOW,
        Outputs: [
          { OutputKey: 'ApiUrl', OutputValue: url },
          { OutputKey: 'AlertsTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:Keepsake-AlertsTopic' },
        ],
      },
    ],
  });
  const summary = (logicalId: string, name: string, type: string) => ({
    LogicalResourceId: logicalId,
    PhysicalResourceId: name,
    ResourceType: type,
    ResourceStatus: 'CREATE_COMPLETE' as const,
    LastUpdatedTimestamp: NOW,
  });
  cfn.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      summary('AlertsTopic1A2B3C4D', 'arn:aws:sns:eu-west-1:123456789012:Keepsake-AlertsTopic', 'AWS::SNS::Topic'),
      ...Object.values(ALARMS).map((a) => summary(a.logicalId, a.name, 'AWS::CloudWatch::Alarm')),
    ],
  });
  cw.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: (Object.keys(ALARMS) as (keyof typeof ALARMS)[]).map((key) => ({
      AlarmName: ALARMS[key].name,
      StateValue: 'OK' as const,
      AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:Keepsake-AlertsTopic'],
      ...alarms[key],
    })),
  });
  cw.on(SetAlarmStateCommand).resolves({});
  const out: string[] = [];
  const err: string[] = [];
  return {
    fake,
    out,
    err,
    run: (extra = [], options = {}) =>
      main([...(options.base ?? ARGS), ...extra], options.env ?? { KEEPSAKE_DB_PASSWORD: PASSWORD }, {
        credentials: async () => ({ accessKeyId: ACCESS_KEY, secretAccessKey: 'smoke-secret-key' }),
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        now: () => NOW,
        clock: () => performance.now(),
        sleep: async () => {},
        pollIntervalMs: 0,
        alarmHoldMs: 0,
        readFile: async (path) => {
          throw new Error(`ENOENT: no such file or directory, open '${path}'`);
        },
        ...options.deps,
      }),
  };
}

/** Each step line cut to its outcome and name (`PASS back up`), in order, to compare whole runs. */
export const stepHeads = (out: readonly string[]) =>
  out.flatMap((line) => {
    const match = /^(PASS|FAIL|SKIP) ([^:(]+?)(?: \(\d+\.\d s\))?(?::|$)/.exec(line);
    return match ? [`${match[1]} ${match[2]}`] : [];
  });

/** The one line of step `name` (any outcome). */
export const lineOf = (out: readonly string[], name: string) =>
  out.find((line) => new RegExp(`^(PASS|FAIL|SKIP) ${name}( \\(|:|$)`).test(line));

/** `given` for one test file: each test's fake API is stopped after it, and the SDK mocks restored after the file. */
export function givenPerTest(): typeof given {
  let current: Given | undefined;
  afterEach(async () => {
    await current?.fake.stop();
    current = undefined;
  });
  afterAll(() => {
    cfn.restore();
    cw.restore();
  });
  return async (...args) => (current = await given(...args));
}
