import type { Backup } from './backup.ts';
import type { Restore } from './restore.ts';

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

/** Signs a request before it is sent (SigV4 against a deployed API); local mode needs none. */
export type RequestSigner = (request: Request) => Promise<Request>;

export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The Keepsake HTTP API at `baseUrl`: JSON in and out, non-2xx answers thrown as ApiError. */
export function apiClient(baseUrl: string, sign?: RequestSigner): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    baseUrl: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let request = new Request(`${base}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (sign) request = await sign(request);
      const response = await fetch(request);
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        const answer = parsed as { error?: string; message?: string; fields?: Record<string, string> } | undefined;
        throw new ApiError(
          response.status,
          answer?.error ?? answer?.message ?? (text.slice(0, 200) || response.statusText),
          answer?.fields,
        );
      }
      return parsed as T;
    },
  };
}

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
  poll(
    `backup ${backupId}`,
    () => api.request<Backup>('GET', `/v1/backups/${encodeURIComponent(backupId)}`),
    timeoutMs,
  );

/** Polls a restore until it has ended. */
export const waitForRestore = (api: ApiClient, restoreId: string, timeoutMs = 10 * 60_000): Promise<Restore> =>
  poll(
    `restore ${restoreId}`,
    () => api.request<Restore>('GET', `/v1/restores/${encodeURIComponent(restoreId)}`),
    timeoutMs,
  );
