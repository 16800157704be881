import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import type { RouteHandler } from '../../functions/shared/apiRouter.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { call, useTestTable, type ApiRequest, type ApiResponse } from './api.ts';
import { services } from './services.ts';

/** A request to one operation: its method and resource come from the route table. */
export type RouteRequest = Omit<ApiRequest, 'method' | 'resource'>;

export interface EveryRoute {
  readonly table: TableRef;
  /** Step Functions, stubbed: every StartExecution is answered with an execution ARN. */
  readonly sfn: AwsClientStub<SFNClient>;
  /** Invokes the operation's real handler as API Gateway would. */
  request<T = Record<string, unknown>>(operation: Operation, request: RouteRequest): Promise<ApiResponse<T>>;
}

/**
 * Every handler of functions/routes.ts, imported from the file the route table names, over a fresh DynamoDB Local
 * table, the shared s3rver, the in-process secret store and local schedules, with Step Functions stubbed. The
 * environment is set before the handlers are imported: they read it once, at load.
 */
export async function startEveryRoute(): Promise<EveryRoute> {
  const table = await useTestTable();
  const { endpoint, bucket } = services().s3;
  Object.assign(process.env, {
    KEEPSAKE_SCHEDULER: 'local',
    KEEPSAKE_S3_ENDPOINT: endpoint,
    BACKUP_BUCKET_NAME: bucket,
    BACKUP_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-backup',
    VERIFY_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-verify',
    RESTORE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:keepsake-restore',
    RUNNER_LOG_DIR: await mkdtemp(join(tmpdir(), 'keepsake-every-route-')),
  });
  (await import('../../scripts/local/secretStores.ts')).useMemorySecretStore();
  const sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  const handlers = new Map<Operation, RouteHandler>();
  for (const route of apiRoutes) {
    const module = (await import(new URL(`../../functions/${route.handler}`, import.meta.url).href)) as {
      handler: RouteHandler;
    };
    handlers.set(route.operation, module.handler);
  }
  return {
    table,
    sfn,
    request(operation, request) {
      const route = apiRoutes.find((r) => r.operation === operation);
      const handler = handlers.get(operation);
      if (!route || !handler) throw new Error(`no route for ${operation}`);
      return call(handler, { ...request, method: route.method, resource: route.path });
    },
  };
}
