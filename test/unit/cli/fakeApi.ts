import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main, type Output } from '../../../scripts/cli/keepsake.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { LogLine } from '../../../types/jobLogs.ts';
import type { Restore } from '../../../types/restore.ts';

/**
 * The Keepsake API as the CLI meets it, in memory: three data sources, a few backups and restores, jobs that run
 * for `JOB_MS` (restores for `RESTORE_MS`, long enough for two progress draws) and log runner progress, a stored object to download, and verifications. Every request is recorded.
 */
export const JOB_MS = 400;
export const RESTORE_MS = 1300;

const source = (id: string, name: string, database: string): DataSource => ({
  id,
  name,
  engine: 'mariadb',
  host: '127.0.0.1',
  port: 3306,
  database,
  username: 'keepsake',
  tls: { mode: 'preferred' },
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

export const SOURCES = {
  demo: source('src-demo', 'demo (local MariaDB)', 'shop'),
  shop: source('src-shop', 'Shop', 'shop'),
  shipping: source('src-ship', 'Shipping', 'parcels'),
};

/** What b-1 stores: 300 KiB, so a download is drawn in several chunks. */
export const OBJECT = Buffer.alloc(300 * 1024, 'keepsake ');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const backup = (id: string, sourceId: string, extra: Partial<Backup>): Backup => ({
  id,
  sourceId,
  database: 'shop',
  status: 'succeeded',
  trigger: 'schedule',
  createdAt: '2026-03-01T12:00:00.000Z',
  ...extra,
});

export const BACKUPS: Backup[] = [
  backup('b-1', 'src-demo', {
    compressedBytes: OBJECT.length,
    uncompressedBytes: 4 * OBJECT.length,
    sha256: sha256(OBJECT),
    tables: 7,
    s3Key: 'src-demo/shop/b-1.sql.gz',
    finishedAt: '2026-03-01T12:00:09.000Z',
    durationMs: 9000,
  }),
  backup('b-2', 'src-shop', {
    status: 'failed',
    trigger: 'api',
    createdAt: '2026-02-28T23:30:00.000Z',
    error: 'connect ECONNREFUSED 127.0.0.1:3306',
  }),
  // Its object is not what was recorded: a download must keep nothing.
  backup('b-corrupt', 'src-demo', { compressedBytes: OBJECT.length, sha256: sha256(Buffer.from('other')) }),
];

export const RESTORES: Restore[] = [
  {
    id: 'r-1',
    backupId: 'b-1',
    sourceId: 'src-demo',
    targetSourceId: 'src-demo',
    targetDatabase: 'shop_copy',
    status: 'succeeded',
    requestedBy: 'local',
    createdAt: '2026-03-01T12:10:00.000Z',
    safetyBackupId: 'b-safety',
  },
];

const log = (event: string, extra: Partial<LogLine> = {}): LogLine => ({
  time: '2026-03-01T12:00:00.000Z',
  level: 'info',
  event,
  ...extra,
});

/** The runner's log of a backup it is still dumping: 2 MiB of SQL in 2 s. */
const BACKUP_LOG = [
  log('start', { mode: 'backup' }),
  log('progress', { phase: 'dumping', bytesRead: 2 * 1024 * 1024, bytesWritten: 300_000, elapsedMs: 2000 }),
];
/** A restore's: the safety backup of its target, the stored object checked, then half of it restored in 1 s. */
const RESTORE_LOG = [
  log('start', { mode: 'backup' }),
  log('progress', { phase: 'dumping', bytesRead: 1024, bytesWritten: 100, elapsedMs: 500, done: true }),
  log('start', { mode: 'restore' }),
  log('progress', { phase: 'verifying', bytesRead: OBJECT.length, bytesWritten: 1_200_000, elapsedMs: 1000 }),
  log('progress', { phase: 'restoring', bytesRead: OBJECT.length / 2, bytesWritten: 600_000, elapsedMs: 1000 }),
];

export interface FakeApi {
  readonly url: string;
  /** `METHOD /path?query` of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const requests: string[] = [];
  const started = new Map<string, number>();
  let verifiedAt: string | undefined;
  const running = (id: string, ms = JOB_MS) => Date.now() - (started.get(id) ?? 0) < ms;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const answer = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const route = `${request.method} ${url.pathname}`;
    const sources = Object.values(SOURCES);
    let match: RegExpExecArray | null;

    if (route === 'GET /v1/data-sources') return answer(200, { items: sources });
    if ((match = /^GET \/v1\/data-sources\/([^/]+)$/.exec(route))) {
      const found = sources.find((s) => s.id === match?.[1]);
      return found ? answer(200, found) : answer(404, { error: 'data source not found' });
    }
    if ((match = /^GET \/v1\/data-sources\/[^/]+\/databases\/([^/]+)$/.exec(route)))
      return answer(
        200,
        match[1] === 'shop'
          ? { database: 'shop', exists: true, tableCount: 7, tables: [] }
          : { database: match[1], exists: false },
      );
    if ((match = /^POST \/v1\/data-sources\/([^/]+)\/backups$/.exec(route))) {
      started.set('b-new', Date.now());
      return answer(202, { backupId: 'b-new' });
    }
    if (route === 'GET /v1/backups') {
      const status = url.searchParams.get('status');
      const sourceId = url.searchParams.get('sourceId');
      const items = BACKUPS.filter(
        (b) => (!status || b.status === status) && (!sourceId || b.sourceId === sourceId),
      ).slice(0, Number(url.searchParams.get('limit') ?? 25));
      return answer(200, { items });
    }
    if (route === 'GET /v1/backups/b-new')
      return answer(
        200,
        backup('b-new', 'src-demo', {
          trigger: 'api',
          ...(running('b-new')
            ? { status: 'running' }
            : { status: 'succeeded', compressedBytes: 1234, sha256: sha256(OBJECT) }),
        }),
      );
    if (route === 'GET /v1/backups/b-new/logs') return answer(200, { lines: BACKUP_LOG, more: false, running: true });
    if (route === 'POST /v1/backups/b-1/verify') {
      setTimeout(() => (verifiedAt = new Date().toISOString()), JOB_MS);
      return answer(202, { backupId: 'b-1', executionArn: 'arn:verify' });
    }
    if ((match = /^GET \/v1\/backups\/([^/]+)$/.exec(route))) {
      const found = BACKUPS.find((b) => b.id === match?.[1]);
      if (!found) return answer(404, { error: `backup ${match[1]} not found` });
      return answer(200, {
        ...found,
        ...(found.id === 'b-1' && verifiedAt && { verification: { status: 'verified', at: verifiedAt } }),
      });
    }
    if ((match = /^GET \/v1\/backups\/([^/]+)\/download-url$/.exec(route)))
      return answer(200, {
        url: `http://${request.headers.host}/objects/${match[1]}`,
        expiresAt: '2026-03-01T12:05:00Z',
      });
    if (/^GET \/objects\/b-(1|corrupt)$/.test(route)) {
      response.writeHead(200, {
        'content-type': 'application/gzip',
        'content-length': OBJECT.length,
        'content-disposition': `attachment; filename="demo (local MariaDB)-shop-2026-03-01T12-00-00Z.sql.gz"`,
      });
      // In slices, as a network delivers it.
      for (let at = 0; at < OBJECT.length; at += 64 * 1024) response.write(OBJECT.subarray(at, at + 64 * 1024));
      return response.end();
    }
    if (route === 'GET /v1/restores') return answer(200, { items: RESTORES });
    if (route === 'POST /v1/restores') {
      started.set('r-new', Date.now());
      return answer(202, { restoreId: 'r-new' });
    }
    if (route === 'POST /v1/restores/r-1/rollback') {
      started.set('r-new', Date.now());
      return answer(202, { restoreId: 'r-new' });
    }
    if (route === 'GET /v1/restores/r-new')
      return answer(200, {
        ...RESTORES[0],
        id: 'r-new',
        status: running('r-new', RESTORE_MS) ? 'running' : 'succeeded',
        safetyBackupId: 'b-safety-2',
      });
    if (route === 'GET /v1/restores/r-new/logs') {
      // The log as it grows: up to the check of the stored object, then (after that cursor) the restoring.
      const after = url.searchParams.get('cursor') === 'checked';
      const lines = after ? RESTORE_LOG.slice(4) : RESTORE_LOG.slice(0, 4);
      return answer(200, { lines, nextCursor: 'checked', more: false, running: true });
    }
    if (route === 'GET /v1/restores/r-1') return answer(200, RESTORES[0]);
    answer(404, { error: `fake API: no ${route}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `keepsake <args>` against `api` with no terminal on stdin; `tty` makes stderr a terminal (80 columns), as
 * when a person runs it. `env` adds to KEEPSAKE_API_URL (TZ, for one).
 */
export async function keepsake(
  api: FakeApi,
  args: readonly string[],
  options: { readonly tty?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const output: Output = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { isTTY: options.tty ?? false, columns: 80, write: (chunk: string) => (stderr += chunk) },
  };
  const code = await main(args, { KEEPSAKE_API_URL: api.url, ...options.env }, undefined, output);
  return { code, stdout, stderr };
}
