import type * as z from 'zod';
import { apiContract, type ApiContract, type Operation, type RouteContract } from './apiRoutes.ts';
import type { Backup } from './backup.ts';
import type { Restore } from './restore.ts';
import { fieldErrors } from './zodMessages.ts';

/** An answer of the Keepsake API other than 2xx: its status, message and per-field messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Input the client refused to send: it would not pass the route's request schema. Names each bad field. */
export class ApiInputError extends Error {
  constructor(
    readonly operation: Operation,
    readonly fields: Record<string, string>,
  ) {
    super(`${operation}: ${describe(fields)}`);
    this.name = 'ApiInputError';
  }
}

/** A 2xx answer that does not match the route's response schema: the API and this client disagree on the contract. */
export class ApiResponseError extends Error {
  constructor(
    readonly operation: Operation,
    readonly fields: Record<string, string>,
  ) {
    super(`${operation} answered with what its contract does not allow: ${describe(fields)}`);
    this.name = 'ApiResponseError';
  }
}

const describe = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([field, message]) => `${field}: ${message}`)
    .join('; ');

/** Signs a request before it is sent (SigV4 against a deployed API); local mode needs none. */
export type RequestSigner = (request: Request) => Promise<Request>;

/**
 * Where the client's requests go: the API's base URL and how a request is sent there (the browser's or Node's
 * fetch, signed or not, or a test's in-process dispatch).
 */
export interface ApiTransport {
  readonly baseUrl: string;
  send(request: Request): Promise<Response>;
}

/** A transport over `fetch` (the global one unless given), signing each request with `sign` when given. */
export function fetchTransport(
  baseUrl: string,
  sign?: RequestSigner,
  send: (request: Request) => Promise<Response> = (request) => fetch(request),
): ApiTransport {
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    send: async (request) => send(sign ? await sign(request) : request),
  };
}

type Empty = Record<never, never>;
type ParamsOf<R> = (R extends { params: infer P extends z.ZodType } ? z.input<P> : Empty) &
  (R extends { query: infer Q extends z.ZodType } ? z.input<Q> : Empty);
type HasParams<R> = R extends { params: z.ZodType } ? true : R extends { query: z.ZodType } ? true : false;
type Optional<T> = Empty extends T ? [params?: T] : [params: T];

/**
 * The arguments of an operation's method: its path parameters and query as one object, then its body;
 * the object is optional when nothing in it is required (`api.listBackups()`).
 */
export type ArgsOf<R> = R extends { body: infer B extends z.ZodType }
  ? HasParams<R> extends true
    ? [params: ParamsOf<R>, body: z.input<B>]
    : [body: z.input<B>]
  : HasParams<R> extends true
    ? Optional<ParamsOf<R>>
    : [];

/** What an operation's method resolves to: its answer as the response schema parsed it. */
export type AnswerOf<O extends Operation> = z.output<ApiContract[O]['response']>;

/** One method per operation of the contract, named by the operation: `api.listBackups({ status: 'failed' })`. */
export type ApiClient = {
  readonly baseUrl: string;
  /**
   * An untyped call by method and path, for routes outside the contract (local mode's `/local/…`); an operation of
   * the contract goes through its method.
   */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
} & {
  readonly [O in Operation]: (...args: ArgsOf<ApiContract[O]>) => Promise<AnswerOf<O>>;
};

const PATH_PARAMETER = /\{(\w+)\}/g;

function validate(operation: Operation, schema: z.ZodType | undefined, value: unknown, part: string): void {
  if (!schema) return;
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const fields = fieldErrors(parsed.error);
  throw new ApiInputError(
    operation,
    Object.fromEntries(Object.entries(fields).map(([field, message]) => [field === '(root)' ? part : field, message])),
  );
}

function requestOf(base: string, operation: Operation, route: RouteContract, args: readonly unknown[]): Request {
  const takesParams = route.params !== undefined || route.query !== undefined;
  const params = (takesParams ? (args[0] ?? {}) : {}) as Record<string, unknown>;
  const body = route.body === undefined ? undefined : takesParams ? args[1] : args[0];
  const names = [...route.path.matchAll(PATH_PARAMETER)].map((m) => m[1] ?? '');
  const pathPart = Object.fromEntries(names.map((name) => [name, params[name]]));
  const queryPart = Object.fromEntries(
    Object.entries(params).filter(([name, value]) => !names.includes(name) && value !== undefined),
  );
  validate(operation, route.params, pathPart, 'path');
  validate(operation, route.query, queryPart, 'query');
  validate(operation, route.body, body ?? {}, 'body');

  const path = route.path.replace(PATH_PARAMETER, (_m, name: string) => encodeURIComponent(String(params[name])));
  const search = new URLSearchParams(
    Object.entries(queryPart).map(([name, value]): [string, string] => [name, String(value)]),
  );
  const query = search.size > 0 ? `?${search}` : '';
  const sent = route.body === undefined ? (route.method === 'POST' ? {} : undefined) : (body ?? {});
  return new Request(`${base}${path}${query}`, {
    method: route.method,
    headers: { accept: 'application/json', ...(sent !== undefined && { 'content-type': 'application/json' }) },
    ...(sent !== undefined && { body: JSON.stringify(sent) }),
  });
}

async function jsonOf(response: Response): Promise<{ text: string; parsed: unknown }> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return { text, parsed };
  {
    const answer = parsed as { error?: string; message?: string; fields?: Record<string, string> } | undefined;
    throw new ApiError(
      response.status,
      answer?.error ?? answer?.message ?? (text.slice(0, 200) || response.statusText),
      answer?.fields,
    );
  }
}

async function answerOf(operation: Operation, route: RouteContract, response: Response): Promise<unknown> {
  const { text, parsed } = await jsonOf(response);
  if (text && parsed === undefined) throw new ApiResponseError(operation, { body: 'is not JSON' });
  const checked = route.response.safeParse(parsed);
  if (!checked.success) throw new ApiResponseError(operation, fieldErrors(checked.error));
  return checked.data;
}

/**
 * The Keepsake API as one typed method per operation of `apiContract`: fills the path parameters, checks the
 * input against the route's request schemas before sending (ApiInputError naming each bad field), throws a non-2xx
 * answer as ApiError and parses a 2xx answer with the route's response schema (ApiResponseError on a mismatch).
 */
export function createApiClient(transport: ApiTransport): ApiClient {
  const methods = Object.fromEntries(
    (Object.keys(apiContract) as Operation[]).map((operation) => {
      const route: RouteContract = apiContract[operation];
      const call = async (...args: unknown[]) =>
        answerOf(operation, route, await transport.send(requestOf(transport.baseUrl, operation, route, args)));
      return [operation, call];
    }),
  );
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const sent = new Request(`${transport.baseUrl}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return (await jsonOf(await transport.send(sent))).parsed as T;
  };
  return { baseUrl: transport.baseUrl, request, ...methods } as ApiClient;
}

/** The client over HTTP at `baseUrl`, signing with `sign` when given (SigV4 against a deployed API). */
export const apiClient = (baseUrl: string, sign?: RequestSigner): ApiClient =>
  createApiClient(fetchTransport(baseUrl, sign));

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

async function poll<T extends { status: string }>(what: string, read: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await read();
    if (FINAL.has(current.status)) return current;
    if (Date.now() > deadline)
      throw new Error(`${what} is still ${current.status} after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Polls a backup until it has ended (succeeded, failed or cancelled). */
export const waitForBackup = (api: ApiClient, backupId: string, timeoutMs = 10 * 60_000): Promise<Backup> =>
  poll(`backup ${backupId}`, () => api.getBackup({ id: backupId }), timeoutMs);

/** Polls a restore until it has ended. */
export const waitForRestore = (api: ApiClient, restoreId: string, timeoutMs = 10 * 60_000): Promise<Restore> =>
  poll(`restore ${restoreId}`, () => api.getRestore({ id: restoreId }), timeoutMs);
