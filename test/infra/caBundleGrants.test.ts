import { describe, expect, it } from 'vitest';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** A statement's resources as text: CloudFormation joins an object ARN from the bucket's Arn and the key pattern. */
const resources = (s: Statement): string[] => [s.Resource].flat().map((r) => JSON.stringify(r));

/**
 * Who may touch the CA bundles that runner jobs name by reference (`ca-bundles/{sha256}.pem`): the Lambdas that
 * describe jobs write them, the runner reads them, and no one gets more than that.
 */
describe('CA bundle grants', () => {
  const t = keepsakeTemplate({ alarmEmail: 'ops@example.com' });
  const policies = Object.values(t.findResources('AWS::IAM::Policy'));
  const statementsOf = (rolePart: string): Statement[] =>
    policies
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.includes(rolePart)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const onCaBundles = (s: Statement) => resources(s).some((r) => r.includes('ca-bundles'));

  it('lets the runner GetObject ca-bundles/*.pem and nothing beyond what it had', () => {
    const runner = statementsOf('BackupRunnerTaskTaskRole');
    expect(runner.filter(onCaBundles).map((s) => ({ actions: actions(s), resources: resources(s) }))).toEqual([
      { actions: ['s3:GetObject'], resources: [expect.stringMatching(/"\/ca-bundles\/\*\.pem"\]\]\}$/)] },
    ]);
    // Every action the task role holds: the secrets, backup objects and the key, plus reading CA bundles.
    expect(new Set(runner.flatMap(actions))).toEqual(
      new Set([
        'secretsmanager:GetSecretValue',
        's3:PutObject',
        's3:AbortMultipartUpload',
        's3:PutObjectTagging',
        's3:GetObject',
        's3:GetObjectTagging',
        's3:GetObjectVersion',
        's3:GetObjectVersionTagging',
        's3:DeleteObject',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
      ]),
    );
    // Objects in the bucket: backup-shaped keys and CA bundles, nothing wider.
    const objectPatterns = runner
      .flatMap(resources)
      .flatMap((r) => [...r.matchAll(/"(\/[^"]*)"\]\]\}/g)].map((m) => m[1]));
    expect(new Set(objectPatterns)).toEqual(new Set(['/*/*/*.gz', '/ca-bundles/*.pem']));
  });

  it('lets the job-building Lambdas PutObject ca-bundles/*.pem (with the key to encrypt it), and no other role touch them', () => {
    for (const fn of [
      'OrchestrationBeginBackupRole',
      'OrchestrationBeginRestoreRole',
      'OrchestrationPrepareVerifyRole',
    ]) {
      const statements = statementsOf(fn);
      expect(statements.filter(onCaBundles).map(actions), fn).toEqual([['s3:PutObject']]);
      expect(
        statements.some((s) => actions(s).includes('kms:GenerateDataKey')),
        fn,
      ).toBe(true);
    }
    const others = policies.filter(
      (p) =>
        !(p.Properties.Roles as { Ref: string }[]).some((r) =>
          /BackupRunnerTaskTaskRole|OrchestrationBeginBackupRole|OrchestrationBeginRestoreRole|OrchestrationPrepareVerifyRole/.test(
            r.Ref,
          ),
        ),
    );
    expect(others.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter(onCaBundles)).toEqual([]);
  });
});
