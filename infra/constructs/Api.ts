import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import { BACKUP_OBJECTS, acknowledgeBackupObjects } from './BackupRunner.ts';
import { KeepsakeFunction } from './KeepsakeFunction.ts';

/**
 * What one operation may touch. Its Lambda gets exactly these grants and environment: operations that need the same
 * grants name the same `lambda` and share one (see the shared grants below), and no operation shares with one whose
 * grants differ (the Api refuses it at synth), so none runs with a grant it would not have alone.
 */
interface Access {
  /** The Lambda shared by the operations with these grants; without it, the operation's own Lambda. */
  readonly lambda?: string;
  readonly table: 'read' | 'write';
  readonly secrets?: 'create' | 'update' | 'delete' | 'read';
  /** Schedule service environment; `manage` adds the Scheduler API on Keepsake's schedules, `delete` only deletes. */
  readonly schedules?: 'env' | 'manage' | 'delete';
  readonly start?: 'backup' | 'restore' | 'verify';
  readonly stopBackup?: boolean;
  readonly bucket?: 'presign' | 'delete';
  /** Reads the runner's log lines of a backup's or restore's execution (FilterLogEvents on its log group only). */
  readonly runnerLogs?: 'backup' | 'restore';
  /** Names console users in its answers (functions/shared/principalNames.ts): AdminGetUser on Auth's user pool. */
  readonly namesPeople?: boolean;
  readonly timeout?: Duration;
}

/*
 * Grants several operations need alike, each served by one Lambda: one per set of grants rather than one per
 * operation keeps the stack within its resource budget (test/infra/resourceBudget.test.ts) without widening any.
 */
const TABLE_READER: Access = { lambda: 'TableReader', table: 'read' };
const PEOPLE_READER: Access = { lambda: 'PeopleReader', table: 'read', namesPeople: true };
const TABLE_WRITER: Access = { lambda: 'TableWriter', table: 'write' };
// The connection test and the inspection wait for a server up to their connect timeout.
const SOURCE_PROBE: Access = { lambda: 'SourceProbe', table: 'read', secrets: 'read', timeout: Duration.seconds(20) };
const SCHEDULE_READER: Access = { lambda: 'ScheduleReader', table: 'read', schedules: 'env' };
const RESTORE_STARTER: Access = { lambda: 'RestoreStarter', table: 'write', start: 'restore' };
const SCHEDULE_WRITER: Access = { lambda: 'ScheduleWriter', table: 'write', schedules: 'manage' };

const ACCESS: Record<Operation, Access> = {
  listDataSources: TABLE_READER,
  createDataSource: { table: 'write', secrets: 'create' },
  getDataSource: TABLE_READER,
  updateDataSource: { table: 'write', secrets: 'update' },
  deleteDataSource: { table: 'write', secrets: 'delete', schedules: 'delete' },
  enableDataSource: TABLE_WRITER,
  disableDataSource: TABLE_WRITER,
  testDataSource: SOURCE_PROBE,
  testConnectionSettings: SOURCE_PROBE,
  inspectDatabase: SOURCE_PROBE,
  listSchedules: SCHEDULE_READER,
  listSourceSchedules: SCHEDULE_READER,
  createSchedule: SCHEDULE_WRITER,
  getSchedule: SCHEDULE_READER,
  updateSchedule: SCHEDULE_WRITER,
  deleteSchedule: SCHEDULE_WRITER,
  pauseSchedule: SCHEDULE_WRITER,
  resumeSchedule: SCHEDULE_WRITER,
  triggerBackup: { table: 'write', start: 'backup' },
  listSourceBackups: TABLE_READER,
  listBackups: TABLE_READER,
  getBackup: TABLE_READER,
  getBackupLogs: { table: 'read', runnerLogs: 'backup' },
  // Writes an audit event for every link handed out.
  getDownloadUrl: { table: 'write', bucket: 'presign' },
  cancelBackup: { table: 'write', stopBackup: true },
  trashBackup: TABLE_WRITER,
  untrashBackup: TABLE_WRITER,
  deleteBackup: { table: 'write', bucket: 'delete' },
  verifyBackup: { table: 'write', start: 'verify' },
  listTrash: PEOPLE_READER,
  createRestore: RESTORE_STARTER,
  rollbackRestore: RESTORE_STARTER,
  listRestores: PEOPLE_READER,
  getRestore: PEOPLE_READER,
  getRestoreLogs: { table: 'read', runnerLogs: 'restore' },
  getStats: TABLE_READER,
  listAudit: PEOPLE_READER,
};

const SECRET_ACTIONS: Record<NonNullable<Access['secrets']>, string[]> = {
  create: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret'],
  update: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
  delete: ['secretsmanager:DeleteSecret'],
  read: ['secretsmanager:GetSecretValue'],
};

/** The operations whose answers name people (functions/shared/principalNames.ts). */
export const NAMES_PEOPLE: readonly Operation[] = apiRoutes
  .map((r) => r.operation)
  .filter((operation) => ACCESS[operation].namesPeople);

/** What a browser may send cross-origin: the SigV4 headers the console signs with, and the JSON body's type. */
const CORS_HEADERS = ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/** cdk-nag findings on the REST API that are choices, each with why. */
const API_ACKNOWLEDGEMENTS: Record<string, string> = {
  'AwsSolutions-APIG2':
    'Every body, path and query is parsed by the zod schema of its handler (types/), which answers 400 with a message per field; a JSON-schema model in API Gateway would be a second copy of the contract with worse messages.',
  'AwsSolutions-APIG3':
    'Every route is AWS_IAM (SigV4) authorized and the stage is throttled; a WAF web ACL would cost more per month than all of idle Keepsake.',
  'AwsSolutions-COG4':
    'AWS_IAM authorization on purpose: console users sign with Cognito identity pool credentials and other applications with their own IAM principals, so one authorizer serves both.',
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
    "API Gateway's account-level logging role (required for execution logs); the managed policy grants log delivery only.",
};

export interface ApiProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  /** Encrypts the data-source secrets (and the bucket). */
  readonly key: kms.IKey;
  readonly scheduleGroupName: string;
  /** The role EventBridge Scheduler assumes to start the backup state machine. */
  readonly schedulerRole: iam.IRole;
  readonly stateMachines: {
    readonly backup: sfn.IStateMachine;
    readonly restore: sfn.IStateMachine;
    readonly verify: sfn.IStateMachine;
  };
  /** The runner's log group (BackupRunner.logGroup): the live job logs are read from it. */
  readonly runnerLogGroup: logs.ILogGroup;
  /** Days a backup stays in the trash (the Sweeper's TRASH_GRACE_DAYS): the trash lists when each will be purged. */
  readonly trashGraceDays: number;
}

type Route = (typeof apiRoutes)[number];

/**
 * The operations' Lambdas by construct id, each with the routes it serves: an operation without a shared `lambda`
 * has one of its own, named after it. Throws when operations sharing a Lambda differ in any grant.
 */
function lambdasOf(routes: readonly Route[]): Map<string, [Route, ...Route[]]> {
  const lambdas = new Map<string, [Route, ...Route[]]>();
  const grants = (operation: Operation) =>
    JSON.stringify({ ...ACCESS[operation], timeout: ACCESS[operation].timeout?.toSeconds() });
  for (const route of routes) {
    const operation = route.operation;
    const name = ACCESS[operation].lambda ?? operation;
    const shared = lambdas.get(name);
    if (!shared) lambdas.set(name, [route]);
    else if (grants(shared[0].operation) !== grants(operation)) {
      throw new Error(`${operation} and ${shared[0].operation} share the Lambda ${name} but need different grants`);
    } else shared.push(route);
  }
  return lambdas;
}

/** Where the entries of shared Lambdas are written: generated, so the route table stays the only list of handlers. */
const ROUTER_DIR = fileURLToPath(new URL('../../node_modules/.cache/keepsake/api/', import.meta.url));
const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions/', import.meta.url));

/**
 * Writes the entry of a Lambda serving several routes: it imports each route's handler and hands every request to
 * the one of the route API Gateway matched (functions/shared/apiRouter.ts). Returns its absolute path. Written only
 * when its text changes, through a rename, so synths running side by side never see a half-written file.
 */
function routerEntry(name: string, routes: readonly Route[]): string {
  const imports = routes.map(
    (route) => `import { handler as ${route.operation} } from '${FUNCTIONS_DIR}${route.handler}';`,
  );
  const table = routes.map((route) => `  '${route.method} ${route.path}': ${route.operation},`);
  const text = [
    `// Generated by infra/constructs/Api.ts from functions/routes.ts: the ${name} Lambda's routes.`,
    `import { routeTo } from '${FUNCTIONS_DIR}shared/apiRouter.ts';`,
    ...imports,
    '',
    'export const handler = routeTo({',
    ...table,
    '});',
    '',
  ].join('\n');
  const file = join(ROUTER_DIR, `${name}.ts`);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
  mkdirSync(ROUTER_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.${randomUUID()}`;
  writeFileSync(partial, text);
  renameSync(partial, file);
  return file;
}

/**
 * The REST API: every route under /v1 with AWS_IAM authorization (console users sign with Cognito identity
 * pool credentials, other applications with any IAM principal allowed `execute-api:Invoke` on the route), served
 * by Lambdas from functions/routes.ts: one per set of grants, so each granted only what its operations touch.
 */
export class Api extends Construct {
  public readonly restApi: apigw.RestApi;
  public readonly functions: Readonly<Record<Operation, KeepsakeFunction>>;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Keepsake API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'prod',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
    });
    for (const [id, reason] of Object.entries(API_ACKNOWLEDGEMENTS))
      Validations.of(this.restApi).acknowledge({ id, reason });

    const functions = {} as Record<Operation, KeepsakeFunction>;
    for (const [name, routes] of lambdasOf(apiRoutes)) {
      const access = ACCESS[routes[0].operation];
      const fn = new KeepsakeFunction(this, name, {
        handlerFile: routes.length === 1 ? routes[0].handler : routerEntry(name, routes),
        description: routes.map((route) => `${route.method} ${route.path}`).join(', '),
        timeout: access.timeout,
      }).bindTable(props.table, access.table);
      this.grant(fn, access, props);
      // One invoke permission per function, for any method of this API (not one per method, nor a second for
      // the console's test invocations): the function serves only the routes integrated with it.
      const integration = new apigw.LambdaIntegration(fn.function, { scopePermissionToMethod: false });
      for (const route of routes) {
        this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration);
        functions[route.operation] = fn;
      }
    }
    functions.listTrash.function.addEnvironment('TRASH_GRACE_DAYS', String(props.trashGraceDays));
    this.functions = functions;
  }

  /**
   * Lets the console at `origin` call the API from a browser: a CORS preflight (OPTIONS) on every resource with
   * methods, and `Access-Control-Allow-Origin` on every answer, the Lambdas' (CONSOLE_ORIGIN, functions/shared/http.ts)
   * and API Gateway's own 4XX/5XX, so the console can read an IAM refusal. Any origin would be safe as well, since
   * calls carry SigV4 signatures and never cookies (another site cannot borrow a signed-in user's session), but the
   * console's is all that needs it. Called once the console exists: its URL is known only after the API's.
   */
  allowBrowsersFrom(origin: string): void {
    const methodsOn = new Map<apigw.IResource, string[]>();
    for (const method of this.restApi.methods)
      methodsOn.set(method.resource, [...(methodsOn.get(method.resource) ?? []), method.httpMethod]);
    for (const [resource, methods] of methodsOn) {
      resource.addCorsPreflight({
        allowOrigins: [origin],
        allowMethods: methods,
        allowHeaders: CORS_HEADERS,
        maxAge: Duration.hours(1),
      });
    }
    for (const fn of new Set(Object.values(this.functions))) fn.function.addEnvironment('CONSOLE_ORIGIN', origin);
    const corsHeaders = { 'Access-Control-Allow-Origin': `'${origin}'`, Vary: "'Origin'" };
    this.restApi.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX,
      responseHeaders: corsHeaders,
    });
    this.restApi.addGatewayResponse('Default5xx', {
      type: apigw.ResponseType.DEFAULT_5XX,
      responseHeaders: corsHeaders,
    });
  }

  /**
   * Lets the answers that show who did something (the audit log, restores' `requestedBy`) name console users by
   * e-mail: `cognito-idp:AdminGetUser` on `userPool` alone, and its id as USER_POOL_ID, for those operations only.
   * Called once Auth exists: Auth is built after the API, whose methods its group roles name. The user pool refers to
   * nothing of the API, so the functions referring to the pool make no cycle.
   */
  namePeopleWith(userPool: cognito.IUserPool): void {
    for (const fn of new Set(NAMES_PEOPLE.map((operation) => this.functions[operation].function))) {
      userPool.grant(fn, 'cognito-idp:AdminGetUser');
      fn.addEnvironment('USER_POOL_ID', userPool.userPoolId);
    }
  }

  private grant(fn: KeepsakeFunction, access: Access, props: ApiProps): void {
    const lambda = fn.function;
    const stack = Stack.of(this);
    if (access.secrets) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:keepsake/data-source/*]',
        reason: 'Data-source passwords only: one secret per source under keepsake/data-source/, created at run time.',
      });
      lambda.addToRolePolicy(
        new iam.PolicyStatement({
          actions: SECRET_ACTIONS[access.secrets],
          resources: [
            stack.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: 'keepsake/data-source/*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
      // Explicit actions: grantEncryptDecrypt would add the wildcard kms:ReEncrypt* and kms:GenerateDataKey*.
      if (access.secrets === 'create' || access.secrets === 'update')
        props.key.grant(lambda, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey');
      else if (access.secrets === 'read') props.key.grantDecrypt(lambda);
      lambda.addEnvironment('SECRETS_KMS_KEY_ID', props.key.keyArn);
    }
    if (access.schedules) {
      lambda.addEnvironment('SCHEDULE_GROUP_NAME', props.scheduleGroupName);
      lambda.addEnvironment('BACKUP_STATE_MACHINE_ARN', props.stateMachines.backup.stateMachineArn);
      lambda.addEnvironment('SCHEDULER_ROLE_ARN', props.schedulerRole.roleArn);
      const actions =
        access.schedules === 'manage'
          ? [
              'scheduler:CreateSchedule',
              'scheduler:UpdateSchedule',
              'scheduler:DeleteSchedule',
              'scheduler:GetSchedule',
            ]
          : access.schedules === 'delete'
            ? ['scheduler:DeleteSchedule']
            : [];
      if (actions.length > 0) {
        Validations.of(fn).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${props.scheduleGroupName}/keepsake-*]`,
          reason:
            "Keepsake's own schedules only (named keepsake-<schedule id> in its group), created by the API at run time.",
        });
        lambda.addToRolePolicy(
          new iam.PolicyStatement({
            actions,
            resources: [
              stack.formatArn({
                service: 'scheduler',
                resource: 'schedule',
                resourceName: `${props.scheduleGroupName}/keepsake-*`,
              }),
            ],
          }),
        );
      }
      if (access.schedules === 'manage') props.schedulerRole.grantPassRole(lambda.grantPrincipal);
    }
    if (access.start) {
      const machine = props.stateMachines[access.start];
      machine.grantStartExecution(lambda);
      lambda.addEnvironment(`${access.start.toUpperCase()}_STATE_MACHINE_ARN`, machine.stateMachineArn);
    }
    if (access.stopBackup) {
      props.stateMachines.backup.grantExecution(lambda, 'states:StopExecution');
      const machineName = Stack.of(this).resolve({
        'Fn::Select': [6, { 'Fn::Split': [':', props.stateMachines.backup.stateMachineArn] }],
      }) as unknown;
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${JSON.stringify(machineName)}:*]`,
        reason: 'Executions of the Backup machine only: each is named after its backup at run time.',
      });
      lambda.addEnvironment('BACKUP_STATE_MACHINE_ARN', props.stateMachines.backup.stateMachineArn);
    }
    if (access.bucket) {
      lambda.addEnvironment('BACKUP_BUCKET_NAME', props.bucket.bucketName);
      if (access.bucket === 'presign') {
        // The presigned URL is signed with this role: it must itself be allowed to read the object.
        lambda.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:GetObject'],
            resources: [props.bucket.arnForObjects(BACKUP_OBJECTS)],
          }),
        );
        props.key.grantDecrypt(lambda);
      } else {
        lambda.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:DeleteObject'],
            resources: [props.bucket.arnForObjects(BACKUP_OBJECTS)],
          }),
        );
      }
      acknowledgeBackupObjects(fn, props.bucket);
    }
    if (access.runnerLogs) {
      // The log group's own ARN: no other group, and no write.
      props.runnerLogGroup.grant(lambda, 'logs:FilterLogEvents');
      lambda.addEnvironment('RUNNER_LOG_GROUP', props.runnerLogGroup.logGroupName);
      // Restore executions are named after their restores: the ARN is derived from the machine's.
      if (access.runnerLogs === 'restore')
        lambda.addEnvironment('RESTORE_STATE_MACHINE_ARN', props.stateMachines.restore.stateMachineArn);
    }
  }
}
