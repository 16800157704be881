import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHttpApi, type LocalHttpApi } from '../../scripts/local/httpApi.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { call } from '../support/api.ts';
import { SOURCES, sourceBody, startDataSourceApi, type DataSourceApi } from '../integration/api/dataSourceApi.ts';

interface Sent {
  readonly method: string;
  readonly path: string;
  /** Sent as given: Host and Origin are what a browser would put there, which fetch does not let a caller choose. */
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function send(
  api: LocalHttpApi,
  sent: Sent,
): Promise<{ status: number; body: { error?: string; fields?: Record<string, string> } }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: api.port, method: sent.method, path: sent.path, headers: sent.headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as { error?: string }) : {} }),
        );
      },
    );
    outgoing.on('error', reject).end(sent.body);
  });
}

let handlers: DataSourceApi;
let api: LocalHttpApi;
let source: DataSource;
const own = () => `127.0.0.1:${api.port}`;
const isEnabled = async () =>
  (
    await call<DataSource>(handlers.get, {
      method: 'GET',
      resource: `${SOURCES}/{id}`,
      pathParameters: { id: source.id },
    })
  ).body.enabled;

beforeAll(async () => {
  handlers = await startDataSourceApi();
  source = (
    await call<DataSource>(handlers.create, {
      method: 'POST',
      resource: SOURCES,
      body: sourceBody({ name: 'Local target' }),
    })
  ).body;
  api = await startLocalHttpApi({ port: 0, principal: 'local:operator', role: () => 'admin' });
});
afterAll(async () => {
  await api?.close();
  await handlers?.scheduler.close();
});

describe('local mode, whose identity is admin, answers only its own address and pages', () => {
  it('refuses a cross-site POST (another page disabling a source) with 403 naming the origin, and changes nothing', async () => {
    const forged = await send(api, {
      method: 'POST',
      path: `/v1/data-sources/${source.id}/disable`,
      headers: { host: own(), origin: 'https://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toMatch(/not a request sent by https:\/\/evil\.example/);
    expect(await isEnabled()).toBe(true);
  });

  it('refuses a sandboxed or file page (Origin: null) too', async () => {
    const forged = await send(api, {
      method: 'POST',
      path: `/v1/data-sources/${source.id}/disable`,
      headers: { host: own(), origin: 'null' },
    });
    expect(forged.status).toBe(403);
    expect(await isEnabled()).toBe(true);
  });

  it("refuses DNS rebinding: a request naming another host, even from that host's own page", async () => {
    const rebound = `rebind.evil.example:${api.port}`;
    const read = await send(api, { method: 'GET', path: '/v1/data-sources', headers: { host: rebound } });
    expect(read.status).toBe(403);
    expect(read.body.error).toMatch(/only requests to its own address .* not Host rebind\.evil\.example/);
    const write = await send(api, {
      method: 'POST',
      path: `/v1/data-sources/${source.id}/disable`,
      headers: { host: rebound, origin: `http://${rebound}` },
    });
    expect(write.status).toBe(403);
    expect(await isEnabled()).toBe(true);
  });

  it('refuses a body that is not declared JSON (a form or text/plain a page may send anywhere) with 415', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      undefined,
    ]) {
      const body = JSON.stringify({ enabled: false });
      const answer = await send(api, {
        method: 'PATCH',
        path: `/v1/data-sources/${source.id}`,
        headers: { host: own(), ...(type && { 'content-type': type }) },
        body,
      });
      expect({ type, status: answer.status }).toEqual({ type, status: 415 });
      expect(answer.body.error).toMatch(/must be sent with content-type application\/json/);
      expect(answer.body.fields).toEqual({ 'content-type': 'must be application/json' });
    }
    expect(await isEnabled()).toBe(true);
  });

  it('serves its own console (same origin, JSON) and the CLI (no Origin) as before', async () => {
    const fromConsole = await send(api, {
      method: 'POST',
      path: `/v1/data-sources/${source.id}/disable`,
      headers: { host: own(), origin: `http://${own()}` },
    });
    expect(fromConsole.status, fromConsole.body.error).toBe(200);
    expect(await isEnabled()).toBe(false);
    const viaLocalhost = await send(api, {
      method: 'PATCH',
      path: `/v1/data-sources/${source.id}`,
      headers: {
        host: `localhost:${api.port}`,
        origin: `http://localhost:${api.port}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ enabled: true }),
    });
    expect(viaLocalhost.status, viaLocalhost.body.error).toBe(200);
    const fromCli = await fetch(`${api.url}/v1/data-sources/${source.id}`);
    expect(fromCli.status).toBe(200);
    expect(((await fromCli.json()) as DataSource).enabled).toBe(true);
  });
});
