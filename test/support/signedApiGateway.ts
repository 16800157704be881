import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REQUIRED_ROLE } from '../../functions/roles.ts';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import { matchRoute } from '../../scripts/local/httpApi.ts';
import { roleAllows } from '../../types/roles.ts';
import type { IssuedCredentials } from './fakeCognito.ts';
import { verifySigV4 } from './sigV4.ts';

/** The stage in the API's URL, as API Gateway's `https://{id}.execute-api.{region}.amazonaws.com/prod/`. */
const STAGE = '/prod';

export interface GatewayCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The access key that signed it, or why the signature was refused. */
  readonly signedBy?: string;
  readonly refused?: string;
}

export interface SignedApiGateway {
  /** The API's URL for the console's config, stage included. */
  readonly apiUrl: string;
  readonly calls: GatewayCall[];
  close(): Promise<void>;
}

/**
 * API Gateway with the AWS_IAM authorizer in front of local mode's API, as the console meets it in AWS: answers
 * CORS preflights for `consoleOrigin`, verifies each request's SigV4 signature with the secret of the fake identity
 * pool's credentials (403 when it does not verify), refuses what the credentials' role may not call (as the group
 * roles' IAM policies do) and proxies the rest. Its own refusals carry the CORS header, as the gateway responses do;
 * the API's answers pass through unchanged (their CORS header is the handlers' own).
 */
export async function startSignedApiGateway(options: {
  readonly upstream: string;
  readonly region: string;
  readonly consoleOrigin: () => string;
  readonly credentials: ReadonlyMap<string, IssuedCredentials>;
}): Promise<SignedApiGateway> {
  const calls: GatewayCall[] = [];
  const cors = () => ({ 'access-control-allow-origin': options.consoleOrigin(), vary: 'Origin' });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gateway');
    const method = request.method ?? 'GET';
    if (method === 'OPTIONS') {
      response
        .writeHead(204, {
          ...cors(),
          'access-control-allow-methods': 'GET,POST,PATCH,DELETE',
          'access-control-allow-headers':
            'authorization,content-type,x-amz-date,x-amz-security-token,x-amz-content-sha256',
        })
        .end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const refuse = (message: string, refused: string, signedBy?: string) => {
      calls.push({ method, path: url.pathname, status: 403, refused, ...(signedBy && { signedBy }) });
      response.writeHead(403, { 'content-type': 'application/json', ...cors() }).end(JSON.stringify({ message }));
    };
    const verdict = verifySigV4(
      { method, path: url.pathname, query: url.search.slice(1), headers, body },
      { region: options.region, service: 'execute-api', keyOf: (id) => options.credentials.get(id) },
    );
    if (!verdict.ok)
      return refuse('The request signature we calculated does not match the signature you provided.', verdict.reason);
    const path = url.pathname.startsWith(`${STAGE}/`) ? url.pathname.slice(STAGE.length) : url.pathname;
    const issued = options.credentials.get(verdict.accessKeyId);
    const route = matchRoute(apiRoutes, method, path);
    if (
      !issued ||
      route.kind !== 'route' ||
      !roleAllows(issued.role, REQUIRED_ROLE[route.route.operation as Operation])
    ) {
      return refuse(
        `User: ${issued?.email} is not authorized to perform: execute-api:Invoke on ${method} ${path}`,
        `role ${issued?.role}`,
        verdict.accessKeyId,
      );
    }
    const upstream = new URL(`${path}${url.search}`, options.upstream);
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host'));
    await new Promise<void>((resolve, reject) => {
      const proxied = httpRequest(upstream, { method, headers: forwarded }, (answer) => {
        calls.push({ method, path: url.pathname, status: answer.statusCode ?? 0, signedBy: verdict.accessKeyId });
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response).on('finish', resolve).on('error', reject);
      });
      proxied.on('error', reject).end(body);
    });
  }

  const server = createServer(
    (request, response) =>
      void serve(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          response
            .writeHead(502, { 'content-type': 'application/json', ...cors() })
            .end(JSON.stringify({ message: String(error) }));
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}${STAGE}/`,
    calls,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}
