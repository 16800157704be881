import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../functions/routes.ts';
import type { ApiRoute } from '../../../functions/shared/route.ts';
import { matchRoute, proxyEvent, startLocalHttpApi, type LocalHttpApi } from '../../../scripts/local/httpApi.ts';

const routes: readonly ApiRoute[] = [
  { operation: 'listThings', method: 'GET', path: '/v1/things', handler: 'things/listThings.ts' },
  { operation: 'createThing', method: 'POST', path: '/v1/things', handler: 'things/createThing.ts' },
  { operation: 'getThing', method: 'GET', path: '/v1/things/{id}', handler: 'things/getThing.ts' },
  { operation: 'deleteThing', method: 'DELETE', path: '/v1/things/{id}', handler: 'things/deleteThing.ts' },
  { operation: 'getPart', method: 'GET', path: '/v1/things/{id}/parts/{partId}', handler: 'things/getPart.ts' },
  { operation: 'getDotted', method: 'GET', path: '/v1/a.b', handler: 'things/getDotted.ts' },
];

const operationOf = (method: string, path: string, among: readonly ApiRoute[] = routes): string | undefined => {
  const match = matchRoute(among, method, path);
  return match.kind === 'route' ? match.route.operation : undefined;
};

describe('matching a request to a route', () => {
  it('matches a path without parameters exactly, by method', () => {
    expect(matchRoute(routes, 'GET', '/v1/things')).toEqual({ kind: 'route', route: routes[0], pathParameters: null });
    expect(operationOf('POST', '/v1/things')).toBe('createThing');
    expect(operationOf('GET', '/v1/things/')).toBeUndefined();
    expect(operationOf('GET', '/v1/thingsX')).toBeUndefined();
  });

  it('extracts the path parameters, URL-decoded', () => {
    expect(matchRoute(routes, 'GET', '/v1/things/my%20thing/parts/p-1')).toEqual({
      kind: 'route',
      route: routes[4],
      pathParameters: { id: 'my thing', partId: 'p-1' },
    });
    expect(matchRoute(routes, 'DELETE', '/v1/things/abc')).toMatchObject({
      kind: 'route',
      pathParameters: { id: 'abc' },
    });
  });

  it('answers wrongMethod with the methods the path allows', () => {
    const match = matchRoute(routes, 'PUT', '/v1/things/abc');
    expect(match.kind).toBe('wrongMethod');
    expect(match.kind === 'wrongMethod' ? [...match.allowed].sort() : []).toEqual(['DELETE', 'GET']);
    expect(matchRoute(routes, 'DELETE', '/v1/things')).toEqual({ kind: 'wrongMethod', allowed: ['GET', 'POST'] });
  });

  it('answers none for a path no route serves', () => {
    expect(matchRoute(routes, 'GET', '/v2/things')).toEqual({ kind: 'none' });
    expect(matchRoute(routes, 'GET', '/')).toEqual({ kind: 'none' });
  });

  it('does not let a parameter match across /', () => {
    expect(matchRoute(routes, 'GET', '/v1/things/a/b')).toEqual({ kind: 'none' });
    expect(matchRoute(routes, 'GET', '/v1/things/a/parts/b/c')).toEqual({ kind: 'none' });
  });

  it('treats regex metacharacters in a literal segment literally', () => {
    expect(operationOf('GET', '/v1/a.b')).toBe('getDotted');
    expect(matchRoute(routes, 'GET', '/v1/aXb')).toEqual({ kind: 'none' });
  });

  it('does not throw on a malformed percent-encoding', () => {
    expect(() => matchRoute(routes, 'GET', '/v1/things/%E0%A4%A')).not.toThrow();
    expect(matchRoute(routes, 'GET', '/v1/things/%E0%A4%A').kind).not.toBe('route');
  });

  it('resolves the real API routes', () => {
    expect(matchRoute(apiRoutes, 'GET', '/v1/data-sources/abc/backups')).toMatchObject({
      kind: 'route',
      route: { operation: 'listSourceBackups' },
      pathParameters: { id: 'abc' },
    });
    expect(matchRoute(apiRoutes, 'POST', '/v1/data-sources/abc/backups')).toMatchObject({
      kind: 'route',
      route: { operation: 'triggerBackup' },
      pathParameters: { id: 'abc' },
    });
    expect(matchRoute(apiRoutes, 'DELETE', '/v1/backups')).toEqual({ kind: 'wrongMethod', allowed: ['GET'] });
  });

  it('resolves every real route to itself (no route shadows another)', () => {
    for (const route of apiRoutes) {
      const path = route.path.replace(/\{(\w+)\}/g, 'sample-$1');
      expect(operationOf(route.method, path, apiRoutes), `${route.method} ${route.path}`).toBe(route.operation);
    }
  });
});

describe('the API Gateway proxy event', () => {
  const request = {
    method: 'POST',
    resource: '/v1/data-sources/{id}/backups',
    path: '/v1/data-sources/abc/backups',
    pathParameters: { id: 'abc' },
    query: { limit: '10', cursor: 'next' },
    headers: { 'content-type': 'application/json', 'x-trace': 't-1' },
    body: '{"note":"manual"}',
    principal: 'local:test',
  };

  it('carries the request the way the REST proxy integration does', () => {
    const event = proxyEvent(request);
    expect(event).toMatchObject({
      httpMethod: 'POST',
      resource: '/v1/data-sources/{id}/backups',
      path: '/v1/data-sources/abc/backups',
      pathParameters: { id: 'abc' },
      queryStringParameters: { limit: '10', cursor: 'next' },
      multiValueQueryStringParameters: { limit: ['10'], cursor: ['next'] },
      headers: { 'content-type': 'application/json', 'x-trace': 't-1' },
      multiValueHeaders: { 'content-type': ['application/json'], 'x-trace': ['t-1'] },
      body: '{"note":"manual"}',
      isBase64Encoded: false,
    });
    expect(event.requestContext.identity.userArn).toBe('local:test');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives each event its own request id', () => {
    expect(proxyEvent(request).requestContext.requestId).not.toBe(proxyEvent(request).requestContext.requestId);
  });

  it('keeps absent query, path parameters and body null, as API Gateway does', () => {
    const event = proxyEvent({ ...request, method: 'GET', pathParameters: null, query: null, headers: {}, body: null });
    expect(event.pathParameters).toBeNull();
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.body).toBeNull();
    expect(event.headers).toEqual({});
    expect(event.multiValueHeaders).toEqual({});
  });
});

const JSON_BODY = { 'content-type': 'application/json' };

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A POST through node:http, to choose the connection (`agent`) and to fail within 2 s rather than hang. */
function post(url: string, body: string | Buffer, agent: Agent | false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, timeout: 2_000, headers: JSON_BODY }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within 2 s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the local HTTP API', () => {
  const MIB = 1024 * 1024;
  let api: LocalHttpApi;

  beforeAll(async () => {
    api = await startLocalHttpApi({
      port: 0,
      principal: 'local:test',
      role: () => 'admin',
      local: { 'POST /local/echo': async (body) => ({ status: 201, body: { got: body } }) },
    });
  });
  afterAll(() => api.close());

  it('listens on 127.0.0.1 at the port it reports', () => {
    expect(api.port).toBeGreaterThan(0);
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
  });

  it('answers 404 with a JSON error naming the method and path for an unknown route', async () => {
    const response = await fetch(`${api.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('GET');
    expect(body.error).toContain('/nope');
  });

  it('answers 405 with an allow header for a method the path does not serve', async () => {
    const response = await fetch(`${api.url}/v1/backups`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('DELETE');
    expect(body.error).toContain('/v1/backups');
  });

  it('runs a local operation with the parsed JSON body and answers with its status and body', async () => {
    const response = await fetch(`${api.url}/local/echo`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ hello: 'world', n: 1 }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ got: { hello: 'world', n: 1 } });
  });

  it('matches local operations by method too', async () => {
    const response = await fetch(`${api.url}/local/echo`);
    expect(response.status).toBe(404);
  });

  it('answers 400 with a body field error for invalid JSON', async () => {
    const response = await fetch(`${api.url}/local/echo`, { method: 'POST', headers: JSON_BODY, body: '{not json' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: unknown; fields: Record<string, unknown> };
    expect(typeof body.error).toBe('string');
    expect(typeof body.fields.body).toBe('string');
  });

  it('accepts a body of exactly 1 MiB', async () => {
    const text = 'x'.repeat(MIB - 2);
    const response = await fetch(`${api.url}/local/echo`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify(text),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { got: string }).got).toHaveLength(MIB - 2);
  });

  it('answers 413 with a JSON error for a body over 1 MiB', async () => {
    const reply = await post(`${api.url}/local/echo`, Buffer.alloc(2 * MIB, 'x'), false);
    expect(reply.status).toBe(413);
    expect(reply.headers['content-type']).toBe('application/json');
    expect((JSON.parse(reply.body) as { error: string }).error).toMatch(/at most 1024 KB/);
  });

  // Regression: the server used to stop reading at the limit, so a keep-alive connection stalled and was reset.
  it('keeps a keep-alive connection usable after refusing an oversized body', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await post(`${api.url}/local/echo`, Buffer.alloc(2 * MIB, 'x'), agent)).status).toBe(413);
      const next = await post(`${api.url}/local/echo`, '{"after":true}', agent);
      expect(next.status).toBe(201);
      expect(JSON.parse(next.body)).toEqual({ got: { after: true } });
    } finally {
      agent.destroy();
    }
  });

  it('refuses to start on a port already in use, saying how to choose another', async () => {
    const outcome = await startLocalHttpApi({ port: api.port, principal: 'local:test', role: () => 'admin' }).then(
      async (second) => {
        await second.close();
        return new Error('second server started');
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(Error);
    const message = (outcome as Error).message;
    expect(message).toContain('already in use');
    expect(message).toContain('--port');
    expect(message).toContain(String(api.port));
  });
});

describe("roles in the local HTTP API (as the Cognito groups' IAM policies in AWS)", () => {
  const servers: LocalHttpApi[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));
  const start = async (role: 'viewer' | 'operator') => {
    const server = await startLocalHttpApi({
      port: 0,
      principal: `local:${role}`,
      role: () => role,
      local: { 'POST /local/echo': async () => ({ status: 200, body: {} }) },
    });
    servers.push(server);
    return server;
  };

  it('refuses what the role may not do with 403 naming the operation and the role it needs, before any handler runs', async () => {
    const viewer = await start('viewer');
    const cases: [string, string, string][] = [
      ['POST', '/v1/data-sources/abc/backups', 'the viewer role cannot triggerBackup: it needs operator'],
      ['GET', '/v1/backups/abc/download-url', 'the viewer role cannot getDownloadUrl: it needs operator'],
      ['POST', '/v1/data-sources', 'the viewer role cannot createDataSource: it needs admin'],
      ['POST', '/local/echo', 'the viewer role cannot run /local/echo: it needs admin'],
    ];
    for (const [method, path, message] of cases) {
      const response = await fetch(`${viewer.url}${path}`, {
        method,
        ...(method === 'POST' && { headers: JSON_BODY, body: '{}' }),
      });
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect(((await response.json()) as { error: string }).error).toBe(message);
    }
    const operator = await start('operator');
    const deletion = await fetch(`${operator.url}/v1/backups/abc`, { method: 'DELETE' });
    expect(deletion.status).toBe(403);
    expect(((await deletion.json()) as { error: string }).error).toBe(
      'the operator role cannot deleteBackup: it needs admin',
    );
  });
});
