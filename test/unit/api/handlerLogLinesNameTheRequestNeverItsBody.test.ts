import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { Conflict } from '../../../functions/shared/errors.ts';

// Read once, when the logger is created: DEBUG in lower case as local mode writes it, and the switch that would
// make Powertools log every event it is handed. The handlers must log no body even so.
process.env.LOG_LEVEL = 'debug';
process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
const { logger, logLevelFromEnv } = await import('../../../functions/shared/logger.ts');
const { httpHandler } = await import('../../../functions/shared/http.ts');
const { taskHandler } = await import('../../../functions/shared/task.ts');
afterAll(() => {
  delete process.env.LOG_LEVEL;
  delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
});

const PASSWORD = 'Canary-pw-3b8e5f21';
const ANSWER_SECRET = 'Canary-answer-90c4d7aa';
const context = {
  awsRequestId: 'lambda-request-1',
  functionName: 'keepsake-createThing',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const event = (body: string): APIGatewayProxyEvent =>
  ({
    httpMethod: 'POST',
    resource: '/v1/things',
    path: '/v1/things',
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    requestContext: { requestId: 'api-request-1', identity: { userArn: 'arn:aws:iam::123456789012:user/alice' } },
  }) as unknown as APIGatewayProxyEvent;

let lines: string[];
beforeEach(() => {
  lines = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const entry = (message: string) => entries().find((e) => e.message === message);

const createThing = httpHandler(
  { body: z.object({ name: z.string(), password: z.string() }), status: 201 },
  async ({ body }) => {
    logger.debug('creating a thing', { name: body.name });
    if (body.name === 'broken') throw new Error('the store is down');
    return { name: body.name, token: ANSWER_SECRET };
  },
);

describe('log lines of an API handler', () => {
  it('are Powertools JSON lines naming the service, the request and the caller, never the bodies', async () => {
    const answer = await createThing(event(JSON.stringify({ name: 'one', password: PASSWORD })), context);
    expect(answer.statusCode).toBe(201);
    expect(answer.body).toContain(ANSWER_SECRET);

    expect(entry('creating a thing')).toMatchObject({
      level: 'DEBUG',
      service: 'keepsake',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestId: 'api-request-1',
      principal: 'arn:aws:iam::123456789012:user/alice',
      route: 'POST /v1/things',
      function_request_id: 'lambda-request-1',
      name: 'one',
    });
    // POWERTOOLS_LOGGER_LOG_EVENT=true did not make it log the event: the chain says logEvent: false.
    expect(lines.length).toBe(1);
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines.join('\n')).not.toContain(ANSWER_SECRET);
  });

  it('log an unexpected error with the request keys and answer a 500 that reveals nothing', async () => {
    const answer = await createThing(event(JSON.stringify({ name: 'broken', password: PASSWORD })), context);
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ error: 'internal error' });
    expect(entry('unhandled error')).toMatchObject({
      level: 'ERROR',
      requestId: 'api-request-1',
      error: { name: 'Error', message: 'the store is down' },
    });
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('hold no password when the body is refused, and no keys of the request once it is answered', async () => {
    const refused = await createThing(event(`{"name": 1, "password": "${PASSWORD}"}`), context);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).not.toContain(PASSWORD);
    logger.info('between requests');
    expect(entry('between requests')).not.toHaveProperty('requestId');
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });
});

describe('log lines of a Step Functions task', () => {
  const task = taskHandler(z.object({ sourceId: z.string(), password: z.string() }), async ({ sourceId }) => {
    throw new Conflict(`source ${sourceId} is busy`);
  });

  it('name the task and its request, and the error a Catch matches on, never the input', async () => {
    await expect(task({ sourceId: 's1', password: PASSWORD }, context)).rejects.toMatchObject({ name: 'Conflict' });
    expect(entry('task failed')).toMatchObject({
      level: 'ERROR',
      service: 'keepsake',
      requestId: 'lambda-request-1',
      task: 'keepsake-createThing',
      error: { name: 'Conflict', message: 'source s1 is busy' },
    });
    expect(lines.length).toBe(1);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });
});

describe('LOG_LEVEL', () => {
  it('takes a level in either case, leaves an unset one to Powertools (INFO), and refuses a misspelt one', () => {
    expect(logLevelFromEnv({ LOG_LEVEL: 'warn' })).toBe('WARN');
    expect(logLevelFromEnv({ LOG_LEVEL: 'ERROR' })).toBe('ERROR');
    expect(logLevelFromEnv({})).toBeUndefined();
    expect(() => logLevelFromEnv({ LOG_LEVEL: 'verbose' })).toThrow(
      'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT (in either case), got "verbose"',
    );
  });
});
