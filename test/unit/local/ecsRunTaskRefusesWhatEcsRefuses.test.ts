import { describe, expect, it } from 'vitest';
import { checkRunTaskOverrides, MAX_OVERRIDE_CHARACTERS } from '../../../scripts/local/ecsRunTask.ts';
import { localRunner } from '../../../scripts/local/orchestration.ts';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Backup:run-1';
const overridesWith = (job: string) => ({
  ContainerOverrides: [
    {
      Name: 'runner',
      Environment: [
        { Name: 'KEEPSAKE_JOB', Value: job },
        { Name: 'KEEPSAKE_EXECUTION_ARN', Value: EXECUTION },
      ],
    },
  ],
});
/** ECS measures its own camelCase JSON: `{"containerOverrides":[{"name":"runner","environment":[…]}]}`. */
const ecsLength = (job: string) =>
  JSON.stringify({
    containerOverrides: [
      {
        name: 'runner',
        environment: [
          { name: 'KEEPSAKE_JOB', value: job },
          { name: 'KEEPSAKE_EXECUTION_ARN', value: EXECUTION },
        ],
      },
    ],
  }).length;

describe('the local ECS refuses RunTask overrides that ECS refuses', () => {
  it('counts every character of the override JSON against the 8,192 limit, formatting included', () => {
    const fits = 'x'.repeat(MAX_OVERRIDE_CHARACTERS - ecsLength(''));
    expect(ecsLength(fits)).toBe(MAX_OVERRIDE_CHARACTERS);
    expect(() => checkRunTaskOverrides(overridesWith(fits), ['runner'])).not.toThrow();
    expect(() => checkRunTaskOverrides(overridesWith(`${fits}x`), ['runner'])).toThrow(
      /Container Overrides length must be at most 8192 \(this RunTask's overrides are 8193 characters\)/,
    );
  });

  it('refuses a job carrying a CA bundle the size of RDS global bundle', () => {
    const job = JSON.stringify({
      mode: 'backup',
      connection: { tls: { mode: 'verify-ca', caPem: `-----BEGIN CERTIFICATE-----\n${'A'.repeat(160_000)}` } },
    });
    expect(() => checkRunTaskOverrides(overridesWith(job), ['runner'])).toThrow(
      expect.objectContaining({ name: 'ECS.InvalidParameterException' }),
    );
  });

  it('refuses overrides of a container the task does not have, and environment entries without a string value', () => {
    expect(() =>
      checkRunTaskOverrides({ ContainerOverrides: [{ Name: 'other', Environment: [] }] }, ['runner']),
    ).toThrow(/other is not a container in the TaskDefinition/);
    expect(() =>
      checkRunTaskOverrides({ ContainerOverrides: [{ Name: 'runner', Environment: [{ Name: 'N', Value: 3 }] }] }, [
        'runner',
      ]),
    ).toThrow(/string value/);
  });

  it('fails the local runTask before anything starts', async () => {
    const runner = localRunner({
      logDir: '/nonexistent',
      secrets: { get: () => Promise.reject(new Error('no secret should be read')) } as never,
      task: { containerName: 'runner', readonlyRootFilesystem: true, mountPoints: [], volumes: [], environment: {} },
    });
    await expect(runner.runTask({ Overrides: overridesWith('y'.repeat(9000)) })).rejects.toMatchObject({
      name: 'ECS.InvalidParameterException',
    });
  });
});
