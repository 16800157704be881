import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod';
import { cognitoPrincipal } from '../../types/audit.ts';
import { fieldErrors } from '../../types/zodMessages.ts';
import { HttpError, Invalid, UnsupportedMediaType } from './errors.ts';
import { logger } from './logger.ts';
import { tracer } from './tracer.ts';

/**
 * Bodies beyond this are refused before parsing. The largest entity is a data source with its CA bundle (up to
 * 200,000 characters, RDS's global bundle ~160 KB, a little more once JSON-escaped); Lambda's payload limit is 6 MB.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** Who made the request and how to reach them: the IAM or Cognito principal API Gateway authorized. */
export interface RequestContext {
  readonly principal: string;
  readonly requestId: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface HttpSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly path?: P;
  readonly query?: Q;
  readonly body?: B;
  /** 200 unless said otherwise (201 create, 202 accepted, 204 no content). */
  readonly status?: number;
}

export interface HttpInput<P, Q, B> {
  readonly path: P;
  readonly query: Q;
  readonly body: B;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/**
 * API Gateway's `cognitoAuthenticationProvider` for identity-pool credentials of a user pool sign-in:
 * `cognito-idp.{region}.amazonaws.com/{poolId},cognito-idp.{region}.amazonaws.com/{poolId}:CognitoSignIn:{sub}`.
 */
const USER_POOL_SIGN_IN = /(?:^|,)cognito-idp\.[^/,]+\/[^/,:]+:CognitoSignIn:([^/,:]+)$/;

/**
 * Who API Gateway's AWS_IAM authorizer let in: a console user as `cognito:<sub>` (their identity-pool role is
 * shared by everyone in their group, so its ARN would not say who), another Cognito identity by its identity id,
 * else the caller's IAM user or role ARN.
 */
export function principalOf(event: APIGatewayProxyEvent): string {
  const identity = event.requestContext?.identity;
  const sub = USER_POOL_SIGN_IN.exec(identity?.cognitoAuthenticationProvider ?? '')?.[1];
  if (sub !== undefined) return cognitoPrincipal(sub);
  return identity?.cognitoIdentityId ?? identity?.userArn ?? identity?.caller ?? 'unknown';
}

function parsePart<T extends z.ZodType>(schema: T | undefined, value: unknown, part: string): Out<T> {
  if (!schema) return undefined as Out<T>;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    throw new Invalid(
      `invalid ${part}: ${Object.entries(fields)
        .map(([f, m]) => `${f}: ${m}`)
        .join('; ')}`,
      fields,
    );
  }
  return parsed.data as Out<T>;
}

/**
 * A query parameter the route does not take is refused, not ignored: a misspelt filter (`?stauts=failed`) would
 * otherwise answer an unfiltered list as if it were the filtered one.
 */
function parseQuery<T extends z.ZodType>(schema: T | undefined, query: Record<string, string | undefined>): Out<T> {
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const unknown = Object.keys(query).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const why =
      known.length > 0
        ? `is not a query parameter of this route (it takes ${known.join(', ')})`
        : 'is not a query parameter: this route takes none';
    const fields = Object.fromEntries(unknown.map((name) => [name, why]));
    throw new Invalid(`invalid query: ${unknown.map((name) => `${name}: ${why}`).join('; ')}`, fields);
  }
  return parsePart(schema, query, 'query');
}

/**
 * Bodies must say they are JSON. A web page can send any other type (text/plain, a form) to any address without the
 * browser asking first (no CORS preflight), so a body parsed whatever its type could be a request forged by a page.
 */
export function assertJsonContentType(contentType: string | undefined): void {
  if (contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json') return;
  throw new UnsupportedMediaType(
    `request body must be sent with content-type application/json, not ${contentType ? `"${contentType}"` : 'without one'}`,
  );
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  assertJsonContentType(lowerCaseHeaders(event.headers)['content-type']);
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new Invalid(`request body must be at most ${MAX_BODY_BYTES / 1024} KB`, {
      body: `must be at most ${MAX_BODY_BYTES / 1024} KB`,
    });
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new Invalid('request body is not valid JSON', { body: 'must be valid JSON' });
  }
}

function lowerCaseHeaders(headers: APIGatewayProxyEvent['headers']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The console's origin (set by the Api construct): every answer names it so the browser lets the console read it.
 * Unset in local mode, whose console is served from the API's own origin.
 */
const CONSOLE_ORIGIN = process.env.CONSOLE_ORIGIN;

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(CONSOLE_ORIGIN && { 'access-control-allow-origin': CONSOLE_ORIGIN }),
    },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** Maps typed errors to their status and `{error, fields}`; anything else is a logged 500 that reveals nothing. */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof HttpError) {
    return json(error.statusCode, { error: error.message, ...(error.fields && { fields: error.fields }) });
  }
  logger.error('unhandled error', {
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return json(500, { error: 'internal error' });
}

/**
 * The shared middy chain: an X-Ray subsegment per invocation (without the response, which may hold a body), the
 * Lambda context, request id and principal on every log line (never the event), zod parsing of path, query and
 * body (400 with per-field messages), and error mapping. `operation` is a plain async function.
 */
export function httpHandler<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R>(
  spec: HttpSpec<P, Q, B>,
  operation: (input: HttpInput<Out<P>, Out<Q>, Out<B>>, ctx: RequestContext) => Promise<R>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .before((request) => {
      logger.appendKeys({
        requestId: request.event.requestContext?.requestId ?? request.context.awsRequestId,
        principal: principalOf(request.event),
        route: `${request.event.httpMethod} ${request.event.resource}`,
      });
    })
    .handler(async (event) => {
      try {
        const input = {
          path: parsePart(spec.path, event.pathParameters ?? {}, 'path'),
          query: parseQuery(spec.query, event.queryStringParameters ?? {}),
          body: parsePart(spec.body, parseBody(event), 'body'),
        };
        const ctx: RequestContext = {
          principal: principalOf(event),
          requestId: event.requestContext?.requestId ?? 'local',
          headers: lowerCaseHeaders(event.headers),
        };
        const result = await operation(input, ctx);
        const status = spec.status ?? 200;
        return json(status, status === 204 ? undefined : result);
      } catch (error) {
        // Mapped here, not in an onError middleware: the tracer's would mark every 4xx answer a fault. Only an
        // unexpected error is one.
        if (!(error instanceof HttpError)) tracer.addErrorAsMetadata(error as Error);
        return errorResponse(error);
      }
    });
}
