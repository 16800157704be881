import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../functions/routes.ts';
import { Api } from '../../infra/constructs/Api.ts';
import { Storage } from '../../infra/constructs/Storage.ts';

const CONSOLE = 'https://d111111abcdef8.cloudfront.net';

/**
 * The Api construct in a stack of its own, with stand-in state machines (Orchestration builds the real ones);
 * `namesFrom` adds a user pool the audit log and restores name people from, as the stack does with Auth's.
 */
function apiTemplate(options: { namesFrom?: 'userPool' } = {}): Template {
  // Skip esbuild bundling: these tests look at the template, not the code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ApiTest');
  const storage = new Storage(stack, 'Storage');
  const machine = (id: string) =>
    new sfn.StateMachine(stack, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${id}Pass`)),
    });
  const api = new Api(stack, 'Api', {
    table: storage.table,
    bucket: storage.bucket,
    key: storage.key,
    scheduleGroupName: 'keepsake',
    schedulerRole: new iam.Role(stack, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    }),
    stateMachines: { backup: machine('Backup'), restore: machine('Restore'), verify: machine('Verify') },
    runnerLogGroup: new logs.LogGroup(stack, 'RunnerLogs'),
    trashGraceDays: 9,
  });
  api.allowBrowsersFrom(CONSOLE);
  if (options.namesFrom) api.namePeopleWith(new cognito.UserPool(stack, 'Users'));
  return Template.fromStack(stack);
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the shapes the checks expect
type Resource = { Type: string; Properties: Record<string, any> };

/** `/v1/backups/{id}` for each API Gateway resource, by logical id (its path parts up to the root). */
function resourcePaths(t: Template): Map<string, string> {
  const resources = t.findResources('AWS::ApiGateway::Resource') as Record<string, Resource>;
  const pathOf = (id: string): string => {
    const { ParentId, PathPart } = resources[id]!.Properties;
    return `${ParentId.Ref ? pathOf(ParentId.Ref as string) : ''}/${PathPart as string}`;
  };
  return new Map(Object.keys(resources).map((id) => [id, pathOf(id)]));
}

/** The logical id of the function API Gateway invokes for `operation`: read from its method's integration. */
function functionIdOf(t: Template, operation: string): string {
  const route = apiRoutes.find((r) => r.operation === operation)!;
  const paths = resourcePaths(t);
  const method = Object.values(t.findResources('AWS::ApiGateway::Method') as Record<string, Resource>).find(
    (m) => m.Properties.HttpMethod === route.method && paths.get(m.Properties.ResourceId.Ref as string) === route.path,
  );
  const uri = JSON.stringify(method?.Properties.Integration.Uri);
  const [, id] = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri) ?? [];
  if (!id) throw new Error(`no function serves ${operation}`);
  return id;
}

/** The function serving `operation`. */
const functionOf = (t: Template, operation: string): Resource =>
  t.toJSON().Resources[functionIdOf(t, operation)] as Resource;

/** The statements of the policies attached to the role of `fn`. */
function roleStatements(t: Template, fn: Resource): Statement[] {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The statements of the policy attached to the role of the function serving `operation`. */
const statementsOf = (t: Template, operation: string): Statement[] => roleStatements(t, functionOf(t, operation));

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** The environment variables of the function serving `operation`. */
const environmentOf = (t: Template, operation: string): Record<string, unknown> =>
  functionOf(t, operation).Properties.Environment.Variables as Record<string, unknown>;

describe('Api', () => {
  const t = apiTemplate();

  it('serves every route with AWS_IAM authorization and nothing unauthenticated but CORS preflights', () => {
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.HttpMethod !== 'OPTIONS',
    );
    expect(methods.length).toBe(apiRoutes.length);
    for (const method of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('answers CORS preflights for the console without auth, on every resource, allowing the SigV4 headers', () => {
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    const preflights = methods.filter((m) => m.Properties.HttpMethod === 'OPTIONS');
    const resources = new Set(
      methods.filter((m) => m.Properties.HttpMethod !== 'OPTIONS').map((m) => m.Properties.ResourceId.Ref as string),
    );
    expect(new Set(preflights.map((m) => m.Properties.ResourceId.Ref as string))).toEqual(resources);
    expect(preflights).toHaveLength(resources.size);
    for (const preflight of preflights) {
      expect(preflight.Properties).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
      const headers = preflight.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe(`'${CONSOLE}'`);
      const allowed = (headers['method.response.header.Access-Control-Allow-Headers'] as string)
        .replace(/'/g, '')
        .split(',');
      expect(allowed).toEqual(
        expect.arrayContaining([
          'authorization',
          'content-type',
          'x-amz-date',
          'x-amz-security-token',
          'x-amz-content-sha256',
        ]),
      );
      // The resource's own methods, no others.
      const own = methods
        .filter(
          (m) =>
            m.Properties.HttpMethod !== 'OPTIONS' &&
            m.Properties.ResourceId.Ref === preflight.Properties.ResourceId.Ref,
        )
        .map((m) => m.Properties.HttpMethod);
      expect(
        (headers['method.response.header.Access-Control-Allow-Methods'] as string).replace(/'/g, '').split(',').sort(),
      ).toEqual(own.sort());
    }
  });

  it("lets the console read every answer cross-origin: the Lambdas' (CONSOLE_ORIGIN) and API Gateway's own 4XX and 5XX", () => {
    for (const fn of Object.values(
      t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^[A-Z]+ /v1/') } }),
    )) {
      expect(fn.Properties.Environment.Variables.CONSOLE_ORIGIN, fn.Properties.Description).toBe(CONSOLE);
    }
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': `'${CONSOLE}'` },
      });
    }
  });

  it('serves operations from one Lambda per set of grants: Node 24 on ARM64, traced, with a log group of its own', () => {
    const functions = t.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
    });
    const serving = new Set(apiRoutes.map((r) => functionIdOf(t, r.operation)));
    expect(Object.keys(functions).sort()).toEqual([...serving].sort());
    for (const fn of Object.values(functions)) expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    // No two functions have the same grants, environment and timeout (their own log group aside): operations that
    // need the same share one function. (In the stack, whose user pool tells the readers naming people apart.)
    const named = apiTemplate({ namesFrom: 'userPool' });
    const ownLogs = (s: Statement) =>
      actionsOf([s]).every((a) => a === 'logs:CreateLogStream' || a === 'logs:PutLogEvents');
    const grants = [...new Set(apiRoutes.map((r) => functionIdOf(named, r.operation)))].map((id) => {
      const fn = named.toJSON().Resources[id] as Resource;
      return JSON.stringify([
        roleStatements(named, fn).filter((s) => !ownLogs(s)),
        fn.Properties.Environment,
        fn.Properties.Timeout,
      ]);
    });
    expect(new Set(grants).size).toBe(grants.length);
  });

  it('gives every function that one permission: invoke from this API only, none per method nor for test invocations', () => {
    const permissions = Object.values(t.findResources('AWS::Lambda::Permission') as Record<string, Resource>);
    const serving = new Set(apiRoutes.map((r) => functionIdOf(t, r.operation)));
    expect(permissions.map((p) => p.Properties.FunctionName['Fn::GetAtt'][0]).sort()).toEqual([...serving].sort());
    const [apiId] = Object.keys(t.findResources('AWS::ApiGateway::RestApi'));
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      });
      const source = JSON.stringify(permission.Properties.SourceArn);
      expect(source).toContain(`{"Ref":"${apiId}"}`);
      expect(source).toMatch(/execute-api:/);
    }
  });

  it("has no request validator: every request is parsed by its handler's zod schema", () => {
    t.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
  });

  it('grants no wildcard action to any function', () => {
    for (const route of apiRoutes) {
      const wildcards = actionsOf(statementsOf(t, route.operation)).filter((a) => a.includes('*'));
      expect(wildcards, route.operation).toEqual([]);
    }
  });

  it('never lets any function Scan the table', () => {
    for (const route of apiRoutes)
      expect(actionsOf(statementsOf(t, route.operation)), route.operation).not.toContain('dynamodb:Scan');
  });

  it('lets read routes only read the table', () => {
    for (const operation of ['listBackups', 'getBackup', 'listDataSources', 'getStats', 'listAudit']) {
      // X-Ray and the function's own log group aside.
      const actions = actionsOf(statementsOf(t, operation)).filter(
        (a) => !a.startsWith('xray:') && !['logs:CreateLogStream', 'logs:PutLogEvents'].includes(a),
      );
      expect(
        actions.some((a) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a)),
        operation,
      ).toBe(false);
      expect(
        actions.every((a) => a.startsWith('dynamodb:') || a === 'kms:Decrypt' || a === 'kms:DescribeKey'),
        `${operation}: ${actions.join(',')}`,
      ).toBe(true);
    }
  });

  it('confines secrets to the data-source prefix and to the operations that need them', () => {
    const create = statementsOf(t, 'createDataSource').find((s) =>
      actionsOf([s]).includes('secretsmanager:CreateSecret'),
    );
    expect(JSON.stringify(create?.Resource)).toContain('secret:keepsake/data-source/*');
    for (const operation of ['listDataSources', 'triggerBackup', 'createSchedule', 'getDownloadUrl']) {
      expect(
        actionsOf(statementsOf(t, operation)).some((a) => a.startsWith('secretsmanager:')),
        operation,
      ).toBe(false);
    }
    for (const operation of ['testDataSource', 'testConnectionSettings', 'inspectDatabase']) {
      expect(actionsOf(statementsOf(t, operation)), operation).toContain('secretsmanager:GetSecretValue');
      expect(actionsOf(statementsOf(t, operation)), operation).not.toContain('secretsmanager:PutSecretValue');
    }
  });

  it('lets only the trigger, verify, restore and rollback routes start their own state machine', () => {
    const starters = apiRoutes
      .filter((r) => actionsOf(statementsOf(t, r.operation)).includes('states:StartExecution'))
      .map((r) => r.operation);
    expect(starters.sort()).toEqual(['createRestore', 'rollbackRestore', 'triggerBackup', 'verifyBackup']);
    const trigger = statementsOf(t, 'triggerBackup').find((s) => actionsOf([s]).includes('states:StartExecution'));
    expect(JSON.stringify(trigger?.Resource)).toContain('Backup');
    expect(actionsOf(statementsOf(t, 'cancelBackup'))).toContain('states:StopExecution');
  });

  it('limits Scheduler calls to Keepsake schedules in its group, and passes only the scheduler role', () => {
    const manage = statementsOf(t, 'createSchedule').find((s) => actionsOf([s]).includes('scheduler:CreateSchedule'));
    expect(JSON.stringify(manage?.Resource)).toContain('schedule/keepsake/keepsake-*');
    expect(actionsOf(statementsOf(t, 'createSchedule'))).toContain('iam:PassRole');
    expect(actionsOf(statementsOf(t, 'deleteDataSource'))).toEqual(
      expect.arrayContaining(['scheduler:DeleteSchedule']),
    );
    expect(actionsOf(statementsOf(t, 'deleteDataSource'))).not.toContain('scheduler:CreateSchedule');
    expect(actionsOf(statementsOf(t, 'listSchedules')).some((a) => a.startsWith('scheduler:'))).toBe(false);
  });

  it("lets only the log routes read runner logs: FilterLogEvents on the runner's log group, nothing else", () => {
    const readers = apiRoutes.filter((r) =>
      actionsOf(statementsOf(t, r.operation)).some(
        (a) => a.startsWith('logs:') && !['logs:CreateLogStream', 'logs:PutLogEvents'].includes(a),
      ),
    );
    expect(readers.map((r) => r.operation).sort()).toEqual(['getBackupLogs', 'getRestoreLogs']);
    const runnerLogs = Object.keys(t.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('RunnerLogs'));
    for (const operation of ['getBackupLogs', 'getRestoreLogs']) {
      const statement = statementsOf(t, operation).find((s) => actionsOf([s]).includes('logs:FilterLogEvents'));
      expect(actionsOf([statement!])).toEqual(['logs:FilterLogEvents']);
      // The group (`…:log-group:NAME`) and its streams (GetAtt Arn, `…:log-group:NAME:*`): the runner's group only.
      const resources = [statement?.Resource].flat();
      expect(resources).toContainEqual({ 'Fn::GetAtt': [runnerLogs, 'Arn'] });
      for (const resource of resources) expect(JSON.stringify(resource)).toContain(`"${runnerLogs}"`);
      expect(JSON.stringify(resources)).not.toMatch(/log-group:\*|"\*"/);
    }
    expect(environmentOf(t, 'getRestoreLogs')).toMatchObject({
      RUNNER_LOG_GROUP: { Ref: runnerLogs },
      RESTORE_STATE_MACHINE_ARN: expect.anything(),
    });
  });

  it('lets only download-url read backup objects and only delete remove them', () => {
    const readers = apiRoutes
      .filter((r) => actionsOf(statementsOf(t, r.operation)).includes('s3:GetObject'))
      .map((r) => r.operation);
    const deleters = apiRoutes
      .filter((r) => actionsOf(statementsOf(t, r.operation)).includes('s3:DeleteObject'))
      .map((r) => r.operation);
    expect(readers).toEqual(['getDownloadUrl']);
    expect(deleters).toEqual(['deleteBackup']);
  });
});

describe('Api naming people (the audit log, who asked for a restore, who trashed a backup)', () => {
  const t = apiTemplate({ namesFrom: 'userPool' });
  const [poolId] = Object.keys(t.findResources('AWS::Cognito::UserPool'));
  const naming: readonly string[] = ['listAudit', 'listRestores', 'getRestore', 'listTrash'];

  it('tells the trash list the grace period, so it can say when each backup will be purged', () => {
    expect(environmentOf(t, 'listTrash').TRASH_GRACE_DAYS).toBe('9');
  });

  it("lets GET /v1/audit and the restore reads call AdminGetUser on the user pool's own ARN, and nothing else of Cognito", () => {
    for (const operation of naming) {
      const cognitoStatements = statementsOf(t, operation).filter((s) =>
        actionsOf([s]).some((a) => a.startsWith('cognito-idp:')),
      );
      expect(cognitoStatements, operation).toEqual([
        { Effect: 'Allow', Action: 'cognito-idp:AdminGetUser', Resource: { 'Fn::GetAtt': [poolId, 'Arn'] } },
      ]);
    }
  });

  it('tells those functions, and only them, the user pool id', () => {
    for (const operation of naming)
      expect(environmentOf(t, operation).USER_POOL_ID, operation).toEqual({ Ref: poolId });
    for (const route of apiRoutes.filter((r) => !naming.includes(r.operation))) {
      expect(environmentOf(t, route.operation), route.operation).not.toHaveProperty('USER_POOL_ID');
      expect(
        actionsOf(statementsOf(t, route.operation)).filter((a) => a.startsWith('cognito-idp:')),
        route.operation,
      ).toEqual([]);
    }
  });

  it('names nobody until it is given a user pool', () => {
    const without = apiTemplate();
    for (const operation of naming) {
      expect(environmentOf(without, operation), operation).not.toHaveProperty('USER_POOL_ID');
      expect(
        actionsOf(statementsOf(without, operation)).filter((a) => a.startsWith('cognito-idp:')),
        operation,
      ).toEqual([]);
    }
  });
});

describe('Api Lambdas shared by operations with the same grants', () => {
  const t = apiTemplate();

  it("hand each route integrated with them to that route's own handler, and no other route", async () => {
    const { readFileSync } = await import('node:fs');
    const shared = new Map<string, string[]>();
    for (const route of apiRoutes) {
      const id = functionIdOf(t, route.operation);
      shared.set(id, [...(shared.get(id) ?? []), `'${route.method} ${route.path}': ${route.operation},`]);
    }
    const entries = [...shared].filter(([, routes]) => routes.length > 1);
    expect(entries.length).toBeGreaterThan(0);
    for (const [id, routes] of entries) {
      const name = /^Api(\w+?)Function[0-9A-F]{8}$/.exec(id)?.[1];
      const text = readFileSync(new URL(`../../node_modules/.cache/keepsake/api/${name}.ts`, import.meta.url), 'utf8');
      expect(
        text
          .split('\n')
          .filter((line) => line.startsWith("  '"))
          .map((line) => line.trim())
          .sort(),
        id,
      ).toEqual(routes.sort());
      for (const route of apiRoutes.filter((r) => routes.some((line) => line.endsWith(` ${r.operation},`)))) {
        expect(text, id).toContain(
          `import { handler as ${route.operation} } from '${new URL(`../../functions/${route.handler}`, import.meta.url).pathname}';`,
        );
      }
    }
  });
});
