import { apiClient, ApiError, type ApiClient, type RequestSigner } from '../../types/apiClient.ts';

export { ApiError };

let client: ApiClient | undefined;

/** Points the console at the API its config names (local mode: the same origin), signing with `sign` when given. */
export function useApiAt(baseUrl: string, sign?: RequestSigner): void {
  client = apiClient(baseUrl, sign);
}

function current(): ApiClient {
  if (!client) throw new Error('the API is not configured yet');
  return client;
}

/** The Keepsake API, typed by the caller with the schemas' types from types/. */
export const api = {
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
