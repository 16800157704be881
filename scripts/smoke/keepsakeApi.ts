import type * as z from 'zod';
import { apiRoutes, type Operation } from '../../functions/routes.ts';
import type { ApiClient } from '../../types/apiClient.ts';

/** What fills one route: its `{name}` path parameters, query string and JSON body. */
export interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * The path of `operation` as the route table declares it, with its `{name}` parameters filled in (encoded). The
 * table is the one the CDK API mounts, so a path the smoke test calls is a path the deployed API serves.
 */
export function pathOf(operation: Operation, input: CallInput = {}): { method: string; path: string } {
  const route = apiRoutes.find((r) => r.operation === operation);
  if (!route) throw new Error(`no route for ${operation}`);
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = input.params?.[name];
    if (value === undefined) throw new Error(`${operation} needs the path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const query = input.query && Object.keys(input.query).length > 0 ? `?${new URLSearchParams(input.query)}` : '';
  return { method: route.method, path: `${path}${query}` };
}

/**
 * Calls one operation of the Keepsake API by name and checks the answer against its schema from `types/`, so a
 * deployed API that drifted from the contract fails the smoke test instead of passing on a malformed answer.
 */
export async function call<S extends z.ZodType>(
  api: ApiClient,
  operation: Operation,
  input: CallInput,
  answer: S,
): Promise<z.infer<S>> {
  const { method, path } = pathOf(operation, input);
  const raw = await api.request<unknown>(method, path, input.body);
  const parsed = answer.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${operation} answered outside its schema: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Calls an operation whose answer carries nothing to check (204 No Content). */
export async function send(api: ApiClient, operation: Operation, input: CallInput): Promise<void> {
  const { method, path } = pathOf(operation, input);
  await api.request<unknown>(method, path, input.body);
}

/** How often and how long a wait polls; `sleep` is injected so tests do not wait. */
export interface Polling {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * Reads until `done` holds, at most `timeoutMs`: a deployed backup takes minutes (a Fargate task starts), so the
 * smoke test polls gently and gives up with the last state seen rather than hanging.
 */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  state: (value: T) => string,
  polling: Polling,
): Promise<T> {
  const deadline = polling.now() + polling.timeoutMs;
  for (;;) {
    const current = await read();
    if (done(current)) return current;
    if (polling.now() >= deadline)
      throw new Error(`${what} is still ${state(current)} after ${Math.round(polling.timeoutMs / 1000)} s`);
    await polling.sleep(polling.intervalMs);
  }
}
