import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import { matchRoute } from '../../scripts/local/httpApi.ts';
import { createApiClient, type ApiClient, type ApiTransport } from '../../types/apiClient.ts';
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
  /** The typed client over the same handlers, in process: its answers are parsed with the route's response schema. */
  readonly api: ApiClient;
}

/** A transport that hands each request to the handler the route table names, as API Gateway would. */
export function inProcessTransport(handlers: ReadonlyMap<Operation, RouteHandler>, principal?: string): ApiTransport {
  return {
    baseUrl: 'http://in-process',
    async send(request) {
      const url = new URL(request.url);
      const match = matchRoute(apiRoutes, request.method, url.pathname);
      if (match.kind !== 'route')
        return Response.json({ error: `no route for ${request.method} ${url.pathname}` }, { status: 404 });
      const handler = handlers.get(match.route.operation as Operation);
      if (!handler) throw new Error(`no handler for ${match.route.operation}`);
      const body = await request.text();
      const answer = await call(handler, {
        method: request.method,
        resource: match.route.path,
        ...(match.pathParameters && { pathParameters: match.pathParameters }),
        ...(url.searchParams.size > 0 && { query: Object.fromEntries(url.searchParams) }),
        ...(body && { rawBody: body }),
        ...(principal && { principal }),
      });
      return new Response(answer.raw.body || null, {
        status: answer.raw.statusCode,
        headers: answer.raw.headers as Record<string, string>,
      });
    },
  };
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
    api: createApiClient(inProcessTransport(handlers)),
    request(operation, request) {
      const route = apiRoutes.find((r) => r.operation === operation);
      const handler = handlers.get(operation);
      if (!route || !handler) throw new Error(`no route for ${operation}`);
      return call(handler, { ...request, method: route.method, resource: route.path });
    },
  };
}
