import { apiContract, type Operation } from '../../types/apiRoutes.ts';
import {
  ApiError,
  createApiClient,
  fetchTransport,
  type ApiClient,
  type ApiTransport,
  type RequestSigner,
} from '../../types/apiClient.ts';

export { ApiError };

let client: ApiClient | undefined;

/** Points the console at the API its config names (local mode: the same origin), signing with `sign` when given. */
export function useApiAt(baseUrl: string, sign?: RequestSigner): void {
  useApiTransport(fetchTransport(baseUrl, sign));
}

/** Points the console at the API behind `transport` (a test's fake one, or `fetchTransport`). */
export function useApiTransport(transport: ApiTransport): void {
  client = createApiClient(transport);
}

function current(): ApiClient {
  if (!client) throw new Error('the API is not configured yet');
  return client;
}

// The pages import `api` once, before the config is loaded: each method reaches the client set up by then.
const operations = Object.fromEntries(
  (Object.keys(apiContract) as Operation[]).map((operation) => [
    operation,
    (...args: unknown[]) => (current()[operation] as (...args: unknown[]) => Promise<unknown>)(...args),
  ]),
);

/**
 * The Keepsake API, one typed method per operation of types/apiRoutes.ts (`api.listBackups({ status })`): input
 * checked before sending, answers parsed with the route's response schema, failures thrown as ApiError.
 */
export const api = {
  ...(operations as Omit<ApiClient, 'baseUrl' | 'request'>),
  /** Untyped calls by path, left only for the data source form and the restore dialog until they move to the methods. */
  get: <T>(path: string) => current().request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => current().request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => current().request<T>('PATCH', path, body),
  delete: <T>(path: string) => current().request<T>('DELETE', path),
};

/** What a person reads from a failed call: the API's message, with its per-field messages. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fields ? Object.entries(error.fields).map(([field, message]) => `${field}: ${message}`) : [];
    return fields.length > 0 && !error.message.includes(fields[0] ?? '')
      ? `${error.message} (${fields.join('; ')})`
      : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
