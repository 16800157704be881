import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayEventIdentity, APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { proxyEvent } from '../../scripts/local/httpApi.ts';
import { createTableInput } from '../../functions/shared/tableSchema.ts';
import type { TableRef } from '../../functions/shared/repositories/table.ts';
import { services } from './services.ts';

/**
 * Creates a fresh table in the shared DynamoDB Local and points the handlers' module-level clients at it.
 * Call before importing any handler (they read their environment once, at load).
 */
export async function useTestTable(): Promise<TableRef> {
  const { endpoint } = services().dynamodb;
  const tableName = `keepsake-${randomUUID()}`;
  process.env.KEEPSAKE_DYNAMODB_ENDPOINT = endpoint;
  process.env.TABLE_NAME = tableName;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await raw.send(new CreateTableCommand(createTableInput(tableName)));
  return { client: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), tableName };
}

export interface ApiRequest {
  readonly method: string;
  /** The API Gateway resource, e.g. `/v1/data-sources/{id}`. */
  readonly resource: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as-is when a string (to test malformed JSON), else JSON-encoded. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly principal?: string;
  /** Fields of `requestContext.identity` to set besides `principal`'s (a console user's Cognito sign-in). */
  readonly identity?: Partial<APIGatewayEventIdentity>;
}

/** An event shaped like API Gateway's REST proxy integration with the AWS_IAM authorizer. */
export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const path = Object.entries(request.pathParameters ?? {}).reduce(
    (p, [k, v]) => p.replace(`{${k}}`, encodeURIComponent(v)),
    request.resource,
  );
  const event = proxyEvent({
    method: request.method,
    resource: request.resource,
    path,
    pathParameters: request.pathParameters ?? null,
    query: request.query ?? null,
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.rawBody ?? (request.body === undefined ? null : JSON.stringify(request.body)),
    principal: request.principal ?? 'arn:aws:iam::123456789012:user/test',
  });
  if (!request.identity) return event;
  return {
    ...event,
    requestContext: { ...event.requestContext, identity: { ...event.requestContext.identity, ...request.identity } },
  };
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly raw: APIGatewayProxyResult;
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const lambdaContext = {
  awsRequestId: 'test',
  functionName: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** Invokes a handler as API Gateway would and parses its JSON response. */
export async function call<T = Record<string, unknown>>(
  handler: Handler,
  request: ApiRequest,
): Promise<ApiResponse<T>> {
  const raw = await handler(apiEvent(request), lambdaContext);
  return { status: raw.statusCode, body: (raw.body ? JSON.parse(raw.body) : undefined) as T, raw };
}
