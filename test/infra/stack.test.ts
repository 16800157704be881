import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { deployConfigFrom } from '../../infra/config.ts';
import { STATES } from '../../infra/constructs/orchestration/Orchestration.ts';
import { keepsakeApp, keepsakeTemplate } from '../../scripts/local/stack.ts';
import { stateMachineDefinition, type AslDefinition } from '../../scripts/local/stateMachines.ts';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The resources each resource needs first, as CloudFormation orders them: `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`. */
function dependencies(
  resources: Record<string, { Properties?: unknown; DependsOn?: string | string[] }>,
): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const needs = new Set<string>([resource.DependsOn ?? []].flat());
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== 'object') return;
      const v = value as Record<string, unknown>;
      if (typeof v.Ref === 'string') needs.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt'])) needs.add(String(v['Fn::GetAtt'][0]));
      const sub = v['Fn::Sub'];
      const template = Array.isArray(sub) ? sub[0] : sub;
      if (typeof template === 'string')
        for (const [, name] of template.matchAll(/\$\{([^}.!]+)[^}]*\}/g)) needs.add(name ?? '');
      Object.values(v).forEach(walk);
    };
    walk(resource.Properties);
    graph.set(id, new Set([...needs].filter((need) => need in resources)));
  }
  return graph;
}

/** A chain of resources that need each other (CloudFormation refuses the template), or undefined. */
function cycleIn(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const need of graph.get(id) ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of graph.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('Keepsake stack', () => {
  const t = keepsakeTemplate({ alarmEmail: 'ops@example.com' });

  it('passes the cdk-nag AwsSolutions checks with every exception acknowledged next to its resource', () => {
    const { app } = keepsakeApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('reports an unacknowledged cdk-nag finding (the check above can fail)', () => {
    const { app, stack } = keepsakeApp();
    // A bucket without TLS enforcement or access logs: AwsSolutions-S1 and S10.
    new s3.Bucket(stack, 'Careless');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('runs the runner on Fargate ARM64 with logs kept, a read-only root and no NAT gateway anywhere', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'runner',
          ReadonlyRootFilesystem: true,
          // An init as PID 1 passes StopTask's SIGTERM on even while Node is starting, before its handlers exist.
          LinuxParameters: { InitProcessEnabled: true },
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const group of Object.values(t.findResources('AWS::Logs::LogGroup')))
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it("lets the runner's task role read only data-source secrets and touch only backup objects", () => {
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
        },
      },
    });
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some(
        (r) => Object.keys(roles).includes(r.Ref) && r.Ref.includes('TaskRole'),
      ),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const secret = statements.find((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secret?.Resource)).toContain('secret:keepsake/data-source/*');
    const objects = statements.find((s) => actions(s).includes('s3:PutObject'));
    expect(JSON.stringify(objects?.Resource)).toContain('/*/*/*.gz');
    for (const s of statements) {
      for (const action of actions(s)) expect(action).not.toContain('*');
      expect(s.Resource).not.toBe('*');
    }
  });

  it('lets EventBridge Scheduler start the Backup machine and nothing else', () => {
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: { Description: 'EventBridge Scheduler: starts Keepsake backups' },
    });
    const schedulerRoleIds = Object.keys(roles);
    expect(schedulerRoleIds.length).toBe(1);
    const machines = Object.keys(t.findResources('AWS::StepFunctions::StateMachine'));
    const backupMachine = machines.find((id) => id.startsWith('OrchestrationBackup'));
    for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
      const attached = (policy.Properties.Roles as { Ref: string }[]).some((r) => schedulerRoleIds.includes(r.Ref));
      if (!attached) continue;
      for (const s of policy.Properties.PolicyDocument.Statement as Statement[]) {
        expect(actions(s)).toEqual(['states:StartExecution']);
        expect(s.Resource).toEqual({ Ref: backupMachine });
      }
    }
  });

  it('alerts by e-mail through an encrypted, TLS-only topic and alarms on failed executions', () => {
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(2);
    for (const alarm of alarms) expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain('AlertsTopic');
  });

  it('alarms when a scheduled source has no recent successful backup, from an hourly check', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Keepsake',
      MetricName: 'StaleSources',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }],
    });
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrchestrationCheckFreshness'), 'Arn'] },
      }),
    });
  });

  it('ends the record of a Backup or Restore execution that stops without recording it', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
          stateMachineArn: [
            { Ref: Match.stringLikeRegexp('^OrchestrationBackup') },
            { Ref: Match.stringLikeRegexp('^OrchestrationRestore') },
          ],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrchestrationRecordStoppedExecution'), 'Arn'] },
        }),
      ],
    });
  });

  it("lets the Lambdas that name people (audit log, restores) read users of Auth's user pool only, and the template still has no dependency cycle", () => {
    const [poolId] = Object.keys(t.findResources('AWS::Cognito::UserPool'));
    const functions = t.findResources('AWS::Lambda::Function');
    // A function's description lists the routes it serves: operations needing the same grants share one.
    const named = (route: string) =>
      Object.entries(functions).find(([, f]) =>
        String(f.Properties.Description ?? '')
          .split(', ')
          .includes(route),
      ) ?? [];
    const [auditId = ''] = named('GET /v1/audit');
    const naming = [...new Set(['GET /v1/audit', 'GET /v1/restores', 'GET /v1/restores/{id}'].map((d) => named(d)[1]))];
    for (const fn of naming)
      expect(fn?.Properties.Environment.Variables.USER_POOL_ID, fn?.Properties.Description).toEqual({ Ref: poolId });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({
        statement,
        roles: p.Properties.Roles as { Ref: string }[],
      })),
    );
    const cognito = statements.filter(({ statement }) => actions(statement).some((a) => a.startsWith('cognito-idp:')));
    expect(cognito.map(({ statement }) => statement)).toEqual(
      naming.map(() => ({
        Effect: 'Allow',
        Action: 'cognito-idp:AdminGetUser',
        Resource: { 'Fn::GetAtt': [poolId, 'Arn'] },
      })),
    );
    expect(
      cognito
        .flatMap(({ roles }) => roles)
        .map((r) => r.Ref)
        .sort(),
    ).toEqual(naming.map((fn) => fn?.Properties.Role['Fn::GetAtt'][0]).sort());

    const graph = dependencies(t.toJSON().Resources);
    expect(cycleIn(graph)).toBeUndefined();
    // The function does need the pool, which Auth builds after the API: the check above has that edge to go through.
    expect(graph.get(auditId)).toContain(poolId);
  });

  it('finds a dependency cycle when there is one (the check above can fail)', () => {
    expect(
      cycleIn(
        new Map([
          ['A', new Set(['B'])],
          ['B', new Set(['C'])],
          ['C', new Set(['A'])],
          ['D', new Set(['A'])],
        ]),
      ),
    ).toEqual(['A', 'B', 'C', 'A']);
  });

  it('runs the sweeper every day', () => {
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^OrchestrationSweeper') } }),
    });
  });
});

describe('Backup state machine graph', () => {
  const asl: AslDefinition = stateMachineDefinition(keepsakeTemplate(), 'OrchestrationBackup');
  const state = (name: string) => {
    const found = asl.States[name];
    if (!found) throw new Error(`no state "${name}"`);
    return found;
  };
  const catchesAll = (name: string) => state(name).Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
  /** The choice after retention: notify about missing objects, or go straight on (its Default). */
  const afterRetention = () => state(state(STATES.retention).Next ?? '');

  it('begins, runs the runner with .sync, records success, then applies retention', () => {
    expect(asl.StartAt).toBe(STATES.begin);
    expect(state(STATES.begin).Next).toBe(STATES.run);
    expect(state(STATES.run).Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(state(STATES.run).Next).toBe(STATES.finalize);
    expect(state(STATES.finalize).Next).toBe(STATES.retention);
    const verifyNow = state(afterRetention().Default ?? '');
    expect(verifyNow.Type).toBe('Choice');
    expect(state(verifyNow.Default ?? '').Type).toBe('Succeed');
  });

  it('publishes the notification retention returns about backups found without their objects, then goes on', () => {
    const objectsMissing = afterRetention();
    expect(objectsMissing.Choices).toEqual([
      { Variable: '$.retention.notification', IsPresent: true, Next: STATES.notifyObjectsMissing },
    ]);
    expect(state(STATES.notifyObjectsMissing).Resource).toBe('arn:aws:states:::sns:publish');
    expect(state(STATES.notifyObjectsMissing).Parameters).toMatchObject({
      'Subject.$': '$.retention.notification.subject',
      'Message.$': '$.retention.notification.message',
    });
    expect(state(STATES.notifyObjectsMissing).Next).toBe(objectsMissing.Default);
  });

  it('starts a verification after the backup when the schedule asks, without waiting for it', () => {
    const verifyNow = state(afterRetention().Default ?? '');
    expect(verifyNow.Choices?.map((c) => c.Next)).toEqual([STATES.startVerify]);
    expect(JSON.stringify(verifyNow.Choices)).toContain(
      '"Variable":"$.begun.verify.when","StringEquals":"afterEachBackup"',
    );
    expect(state(STATES.startVerify).Resource).toBe('arn:aws:states:::states:startExecution');
    expect(state(state(STATES.startVerify).Next ?? '').Type).toBe('Succeed');
  });

  it('passes the job to the runner in container overrides, never a password', () => {
    const overrides = JSON.stringify(state(STATES.run).Parameters);
    expect(overrides).toContain('"Name":"KEEPSAKE_JOB"');
    expect(overrides).toContain('States.JsonToString($.begun.job)');
    expect(overrides.toLowerCase()).not.toContain('password');
    expect(typeof state(STATES.run).TimeoutSeconds).toBe('number');
  });

  it('catches every failure of begin, run and finalize into one record-failure → notify → Fail path', () => {
    for (const name of [STATES.begin, STATES.run, STATES.finalize]) {
      const handler = catchesAll(name);
      expect(handler, name).toBeDefined();
      expect(state(handler?.Next ?? '').Next).toBe(STATES.recordFailure);
    }
    expect(state(STATES.recordFailure).Next).toBe(STATES.notifyFailure);
    expect(state(STATES.notifyFailure).Resource).toBe('arn:aws:states:::sns:publish');
    expect(state(state(STATES.notifyFailure).Next ?? '').Type).toBe('Fail');
  });

  it('does not fail a succeeded backup when retention fails: it notifies and succeeds', () => {
    const handler = catchesAll(STATES.retention);
    expect(handler?.Next).toBe(STATES.notifyRetention);
    expect(state(STATES.notifyRetention).Next).toBe(afterRetention().Default);
  });
});

describe('deploy context', () => {
  const config = (context: Record<string, unknown>) => deployConfigFrom((key) => context[key]);

  it('defaults to a new VPC, 7/4/6 retention and 7 days of trash', () => {
    expect(config({})).toMatchObject({
      retentionDaily: 7,
      retentionWeekly: 4,
      retentionMonthly: 6,
      trashGraceDays: 7,
      manualBackupKeepDays: 30,
      assignPublicIp: true,
      objectLock: false,
    });
  });

  it('accepts -c strings for lists, numbers and flags', () => {
    expect(
      config({ vpcId: 'vpc-0abc', subnetIds: 'subnet-01, subnet-02', retentionDaily: '14', objectLock: 'true' }),
    ).toMatchObject({
      subnetIds: ['subnet-01', 'subnet-02'],
      retentionDaily: 14,
      objectLock: true,
    });
  });

  it.each([
    [{ alarmEmail: 'not-an-address' }, 'alarmEmail: alarmEmail must be an e-mail address'],
    [{ vpcId: 'vpc-0abc' }, 'subnetIds: vpcId and subnetIds go together'],
    [{ trashGraceDays: '0' }, 'trashGraceDays: trashGraceDays must be at least 1'],
    [{ manualBackupKeepDays: '0' }, 'manualBackupKeepDays: manualBackupKeepDays must be at least 1'],
    [{ runnerCpu: '300' }, 'runnerCpu: runnerCpu must be 256, 512, 1024, 2048 or 4096'],
    [{ retentionDaily: 'many' }, 'retentionDaily: retentionDaily must be a number'],
  ])('refuses %j naming the field', (context, message) => {
    expect(() => config(context)).toThrow(message);
  });

  it('hands the retention Lambda MANUAL_BACKUP_KEEP_DAYS and the trash list TRASH_GRACE_DAYS', () => {
    const t = keepsakeTemplate({ manualBackupKeepDays: '45', trashGraceDays: '10' });
    const environments = Object.values(t.findResources('AWS::Lambda::Function')).map(
      (f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    );
    const retention = environments.filter((e) => e.DEFAULT_RETENTION !== undefined);
    expect(retention.map((e) => e.MANUAL_BACKUP_KEEP_DAYS)).toEqual(['45']);
    expect(JSON.parse(String(retention[0]?.DEFAULT_RETENTION))).toEqual({
      daily: 7,
      weekly: 4,
      monthly: 6,
      keepLast: 0,
      includeManualBackups: false,
    });
    expect(environments.filter((e) => e.TRASH_GRACE_DAYS !== undefined).map((e) => e.TRASH_GRACE_DAYS)).toEqual([
      '10',
      '10',
    ]);
  });

  it('puts the runner into an existing VPC when given one', () => {
    const t = keepsakeTemplate({
      vpcId: 'vpc-0abc',
      subnetIds: 'subnet-01,subnet-02',
      securityGroupId: 'sg-0123',
      assignPublicIp: 'false',
    });
    t.resourceCountIs('AWS::EC2::VPC', 0);
    const definition = JSON.stringify(stateMachineDefinition(t, 'OrchestrationBackup'));
    expect(definition).toContain('"Subnets":["subnet-01","subnet-02"]');
    expect(definition).toContain('"SecurityGroups":["sg-0123"]');
    // ECS's default when the field is absent is DISABLED.
    expect(definition).not.toContain('"AssignPublicIp":"ENABLED"');
  });
});

describe('Restore and Verify state machine graphs', () => {
  const t = keepsakeTemplate();
  const restore = stateMachineDefinition(t, 'OrchestrationRestore');
  const verify = stateMachineDefinition(t, 'OrchestrationVerify');
  const next = (asl: AslDefinition, name: string) => asl.States[name]?.Next;
  const catchAllTarget = (asl: AslDefinition, name: string) =>
    asl.States[name]?.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next;

  it('takes the safety backup before the restore runs, and records both', () => {
    expect(restore.StartAt).toBe(STATES.beginRestore);
    expect(next(restore, STATES.beginRestore)).toBe(STATES.runSafetyBackup);
    expect(next(restore, STATES.runSafetyBackup)).toBe(STATES.recordSafetyBackup);
    expect(next(restore, STATES.recordSafetyBackup)).toBe(STATES.runRestore);
    expect(next(restore, STATES.runRestore)).toBe(STATES.finalizeRestore);
    expect(restore.States[STATES.runSafetyBackup]?.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(JSON.stringify(restore.States[STATES.runSafetyBackup]?.Parameters)).toContain(
      'States.JsonToString($.begun.safetyJob)',
    );
    // The restore job as "Record safety backup" completed it (whether the target existed).
    expect(JSON.stringify(restore.States[STATES.runRestore]?.Parameters)).toContain(
      'States.JsonToString($.recorded.restoreJob)',
    );
  });

  it('rolls back automatically only when the safety step described a rollback job, then records the failure', () => {
    const afterRestoreFailed = next(restore, catchAllTarget(restore, STATES.runRestore) ?? '') ?? '';
    const choice = restore.States[afterRestoreFailed];
    expect(choice?.Type).toBe('Choice');
    expect(choice?.Choices).toEqual([
      { Variable: '$.recorded.rollbackJob', IsPresent: true, Next: STATES.runAutoRollback },
    ]);
    expect(choice?.Default).toBe(STATES.recordRestoreFailure);
    expect(JSON.stringify(restore.States[STATES.runAutoRollback]?.Parameters)).toContain(
      'States.JsonToString($.recorded.rollbackJob)',
    );
    // Succeeded or failed, the rollback leaves `$.autoRollback` and goes on to the failure record.
    for (const then of [next(restore, STATES.runAutoRollback), catchAllTarget(restore, STATES.runAutoRollback)]) {
      const pass = restore.States[then ?? ''];
      expect(pass?.Type).toBe('Pass');
      expect(pass?.ResultPath).toBe('$.autoRollback');
      expect(pass?.Next).toBe(STATES.recordRestoreFailure);
    }
    expect(next(restore, catchAllTarget(restore, STATES.finalizeRestore) ?? '')).toBe(STATES.recordRestoreFailure);
  });

  it('routes every restore failure through the failure record and a notification to a Fail state', () => {
    for (const name of [
      STATES.beginRestore,
      STATES.runSafetyBackup,
      STATES.recordSafetyBackup,
      STATES.finalizeRestore,
    ]) {
      expect(next(restore, catchAllTarget(restore, name) ?? ''), name).toBe(STATES.recordRestoreFailure);
    }
    const restoreFailed = next(restore, catchAllTarget(restore, STATES.runRestore) ?? '') ?? '';
    expect(restore.States[restoreFailed]?.Default).toBe(STATES.recordRestoreFailure);
    expect(next(restore, STATES.recordRestoreFailure)).toBe(STATES.notifyRestoreFailure);
    expect(restore.States[next(restore, STATES.notifyRestoreFailure) ?? '']?.Type).toBe('Fail');
  });

  it('verifies with the runner and alerts when the object fails', () => {
    expect(verify.StartAt).toBe(STATES.prepareVerify);
    expect(next(verify, STATES.prepareVerify)).toBe(STATES.runVerify);
    const testRestore = verify.States[next(verify, STATES.runVerify) ?? ''];
    expect(testRestore?.Type).toBe('Choice');
    expect(testRestore?.Choices?.map((c) => c.Next)).toEqual([STATES.runTestRestore]);
    expect(testRestore?.Default).toBe(STATES.recordVerified);
    expect(next(verify, STATES.runTestRestore)).toBe(STATES.recordVerified);
    expect(catchAllTarget(verify, STATES.runVerify)).toBe(STATES.recordVerifyFailure);
    expect(catchAllTarget(verify, STATES.runTestRestore)).toBe(STATES.recordVerifyFailure);
    expect(next(verify, STATES.recordVerifyFailure)).toBe(STATES.notifyVerifyFailure);
    expect(verify.States[next(verify, STATES.notifyVerifyFailure) ?? '']?.Type).toBe('Fail');
  });
});
