import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { routeTo, type RouteHandler } from '../../../functions/shared/apiRouter.ts';

const context = { awsRequestId: 'r' } as Context;
const event = (httpMethod: string, resource: string) =>
  ({
    httpMethod,
    resource,
    path: resource.replace('{id}', 'b1'),
    pathParameters: { id: 'b1' },
  }) as unknown as APIGatewayProxyEvent;
const answering =
  (name: string): RouteHandler =>
  async (e) => ({ statusCode: 200, body: JSON.stringify({ name, path: e.path }) });

describe('a Lambda shared by several routes', () => {
  const handler = routeTo({
    'GET /v1/backups': answering('listBackups'),
    'GET /v1/backups/{id}': answering('getBackup'),
  });

  it('hands each request, untouched, to the handler of the route API Gateway matched', async () => {
    expect(JSON.parse((await handler(event('GET', '/v1/backups/{id}'), context)).body)).toEqual({
      name: 'getBackup',
      path: '/v1/backups/b1',
    });
    expect(JSON.parse((await handler(event('GET', '/v1/backups'), context)).body)).toEqual({
      name: 'listBackups',
      path: '/v1/backups',
    });
  });

  it('answers 500 for a route it was not given, never with another route', async () => {
    const answer = await handler(event('DELETE', '/v1/backups/{id}'), context);
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ error: 'internal error' });
    expect((await handler(event('GET', 'toString'), context)).statusCode).toBe(500);
  });
});
