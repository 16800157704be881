import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { isIPv6, type AddressInfo } from 'node:net';
import { REQUIRED_ROLE } from '../../functions/roles.ts';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import { HttpError } from '../../functions/shared/errors.ts';
import { assertJsonContentType, errorResponse } from '../../functions/shared/http.ts';
import { roleAllows, type Role } from '../../types/roles.ts';
import type { ApiRoute } from '../../functions/shared/route.ts';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';

/** What API Gateway's REST proxy integration (AWS_IAM authorizer) puts in an event, before defaults. */
export interface ProxyRequest {
  readonly method: string;
  /** The resource template, e.g. `/v1/data-sources/{id}`. */
  readonly resource: string;
  readonly path: string;
  readonly pathParameters: Record<string, string> | null;
  readonly query: Record<string, string> | null;
  readonly headers: Record<string, string>;
  readonly body: string | null;
  /** The authorized caller, as API Gateway puts it in `requestContext.identity.userArn`. */
  readonly principal: string;
}

/** An event shaped like API Gateway's REST proxy integration with the AWS_IAM authorizer. */
export function proxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  return {
    httpMethod: request.method,
    resource: request.resource,
    path: request.path,
    pathParameters: request.pathParameters,
    queryStringParameters: request.query,
    multiValueQueryStringParameters:
      request.query && Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, [v]])),
    headers: request.headers,
    multiValueHeaders: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, [v]])),
    body: request.body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: randomUUID(),
      identity: { userArn: request.principal, caller: request.principal },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface MountedRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function mount(route: ApiRoute): MountedRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: ApiRoute; readonly pathParameters: Record<string, string> | null }
  | { readonly kind: 'wrongMethod'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

/** The route serving `method path`, as API Gateway resolves a request against its resources. */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const mounted of routes.map(mount)) {
    const match = mounted.pattern.exec(path);
    if (!match) continue;
    if (mounted.route.method !== method) {
      allowed.push(mounted.route.method);
      continue;
    }
    let pathParameters: Record<string, string> | null = null;
    try {
      if (mounted.names.length > 0)
        pathParameters = Object.fromEntries(
          mounted.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
        );
    } catch {
      continue;
    }
    return { kind: 'route', route: mounted.route, pathParameters };
  }
  return allowed.length > 0 ? { kind: 'wrongMethod', allowed } : { kind: 'none' };
}

/** Requests beyond this are refused before a handler sees them (the handlers themselves cap bodies at 256 KB). */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** A local-only operation (not part of the AWS API): answers with a status and a JSON body. */
export type LocalOperation = (body: unknown) => Promise<{ readonly status: number; readonly body: unknown }>;

/** The console's build and the runtime config it loads at start (`/config.json`). */
export interface ConsoleSite {
  readonly dir: string;
  /** The config for a console loaded from `origin` (the API is on the same server). */
  readonly config: (origin: string) => ConsoleConfig;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** A file of the build, or index.html for any other path (the console's routes live in the browser, as behind CloudFront). */
async function serveConsole(
  site: ConsoleSite,
  request: IncomingMessage,
  pathname: string,
  response: ServerResponse,
): Promise<void> {
  if (pathname === '/config.json')
    return send(response, 200, site.config(`http://${request.headers.host ?? '127.0.0.1'}`));
  const wanted = normalize(join(site.dir, decodeURIComponent(pathname)));
  const inside =
    wanted.startsWith(site.dir + sep) &&
    (await stat(wanted).then(
      (s) => s.isFile(),
      () => false,
    ));
  const file = inside ? wanted : join(site.dir, 'index.html');
  const body = await readFile(file).catch(() => undefined);
  if (!body) {
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The console is not built: run `npm run build:web` (npm start does).');
    return;
  }
  const immutable = inside && pathname.startsWith('/assets/');
  response
    .writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
    })
    .end(body);
}

export interface LocalHttpApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Writes a handler's answer (or the shared error mapping's) as API Gateway would pass it on. */
const reply = (response: ServerResponse, result: APIGatewayProxyResult) => {
  response
    .writeHead(
      result.statusCode,
      Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    )
    .end(result.body);
};

const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
    .end(JSON.stringify(body));
};

/**
 * Why local mode will not answer this request, if it will not. Its identity is the operator's, with no credentials to
 * present, so the address is all that keeps other callers out: a request must name local mode's own address as Host
 * (a name rebound to 127.0.0.1 by another site's DNS does not) and, when a browser says which page sent it, come from
 * one of local mode's own pages or the console origin it was told to trust.
 */
function refusal(request: IncomingMessage, hosts: readonly string[], origins: readonly string[]): string | undefined {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !hosts.includes(host)) {
    return `local mode answers only requests to its own address (${hosts.join(', ')}), not ${host === undefined ? 'one without a Host header' : `Host ${host}`}`;
  }
  const origin = request.headers.origin?.toLowerCase();
  if (origin !== undefined && !origins.includes(origin)) {
    return `local mode answers only its own pages (${origins.join(', ')}), not a request sent by ${origin}: a web page elsewhere cannot use it`;
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end all the same (and dropped), so the connection stays usable for the answer.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  }
  if (size > MAX_REQUEST_BYTES)
    throw Object.assign(new Error(`request body must be at most ${MAX_REQUEST_BYTES / 1024} KB`), { status: 413 });
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/**
 * The API for local mode: the same Lambda handlers the CDK `Api` mounts (functions/routes.ts), behind a plain
 * HTTP server that turns each request into the API Gateway event those handlers receive in AWS. There is no IAM
 * here: every request runs as `principal`, a local identity with `role` (checked against functions/roles.ts as
 * the Cognito groups' IAM policies check it in AWS). `local` adds operations under `/local/` that exist
 * only on one machine (running the daily sweep now).
 */
export async function startLocalHttpApi(options: {
  readonly port: number;
  readonly principal: string;
  /** What the local identity may do now: an operation needing more is refused with 403, as IAM refuses it in AWS. */
  readonly role: () => Role;
  readonly local?: Record<string, LocalOperation>;
  readonly host?: string;
  /** Serves the console for every GET outside the API's paths. */
  readonly console?: ConsoleSite;
  /** A console served elsewhere that may call this API too (its origin, as CONSOLE_ORIGIN names it to the handlers). */
  readonly consoleOrigin?: string;
}): Promise<LocalHttpApi> {
  const handlers = new Map<string, Promise<Handler>>();
  const handlerOf = (route: ApiRoute): Promise<Handler> => {
    let handler = handlers.get(route.handler);
    if (!handler) {
      handler = import(new URL(`../../functions/${route.handler}`, import.meta.url).href).then(
        (module: { handler: Handler }) => module.handler,
      );
      handlers.set(route.handler, handler);
    }
    return handler;
  };

  const server = createServer((request, response) => {
    void serve(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) return reply(response, errorResponse(error));
      const status = (error as { status?: number }).status ?? 500;
      if (!response.headersSent)
        send(response, status, { error: status === 500 ? 'internal error' : (error as Error).message });
      if (status === 500) console.error(`local API: ${(error as Error).stack ?? String(error)}`);
    });
  });

  // Known once the server listens (port 0 picks one).
  let ownHosts: string[] = [];
  let trustedOrigins: string[] = [];

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refused = refusal(request, ownHosts, trustedOrigins);
    if (refused) return send(response, 403, { error: refused });
    const url = new URL(request.url ?? '/', 'http://local');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    const localOperation = options.local?.[`${method} ${url.pathname}`];
    const role = options.role();
    if (localOperation && !roleAllows(role, 'admin'))
      return send(response, 403, { error: `the ${role} role cannot run ${url.pathname}: it needs admin` });
    if (localOperation) {
      if (body !== null) assertJsonContentType(request.headers['content-type']);
      let parsed: unknown;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        return send(response, 400, { error: 'request body is not valid JSON', fields: { body: 'must be valid JSON' } });
      }
      const result = await localOperation(parsed);
      send(response, result.status, result.body);
      return;
    }
    const match = matchRoute(apiRoutes, method, url.pathname);
    const apiPath = url.pathname.startsWith('/v1/') || url.pathname.startsWith('/local/');
    if (match.kind === 'none' && options.console && !apiPath && (method === 'GET' || method === 'HEAD'))
      return serveConsole(options.console, request, url.pathname, response);
    if (match.kind === 'none') return send(response, 404, { error: `no route for ${method} ${url.pathname}` });
    if (match.kind === 'wrongMethod') {
      return send(
        response,
        405,
        { error: `${method} is not allowed on ${url.pathname} (allowed: ${match.allowed.join(', ')})` },
        { allow: match.allowed.join(', ') },
      );
    }
    const needed = REQUIRED_ROLE[match.route.operation as Operation];
    if (!roleAllows(role, needed)) {
      return send(response, 403, { error: `the ${role} role cannot ${match.route.operation}: it needs ${needed}` });
    }
    const query = url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null;
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const event = proxyEvent({
      method,
      resource: match.route.path,
      path: url.pathname,
      pathParameters: match.pathParameters,
      query,
      headers,
      body,
      principal: options.principal,
    });
    const context = {
      awsRequestId: event.requestContext.requestId,
      functionName: match.route.operation,
      getRemainingTimeInMillis: () => 29_000,
    } as unknown as Context;
    reply(response, await (await handlerOf(match.route))(event, context));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} is already in use: stop what uses it or choose another with --port`)
          : error,
      ),
    );
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const listening = options.host ?? '127.0.0.1';
  ownHosts = [`${isIPv6(listening) ? `[${listening}]` : listening}:${port}`, `localhost:${port}`].map((host) =>
    host.toLowerCase(),
  );
  trustedOrigins = [
    ...ownHosts.map((host) => `http://${host}`),
    ...(options.consoleOrigin ? [options.consoleOrigin.toLowerCase()] : []),
  ];
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
